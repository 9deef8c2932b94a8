import { numberOption } from '../options.js';
import type { PolicyOptions, RoutingPolicy } from '../policy.js';
import type { EndpointView, RequestView } from '../types.js';

class Node {
  readonly children = new Map<number, Node>();
  /** Tenant (endpoint index) -> last access epoch; 0 for nodes passed through on insert. */
  readonly tenants = new Map<number, number>();
  constructor(
    readonly hash: number,
    readonly parent: Node | undefined,
    /** The tenant that created the node (SGLang `last_tenant`). */
    readonly lastTenant: number,
  ) {}
}

/**
 * The router's approximate prefix tree (SGLang `tree.rs`), over request prefix blocks instead of
 * characters: one node per block hash, children keyed by the next block's hash. It records routing
 * history, not the engines' caches.
 */
export class ApproxPrefixTree {
  readonly root = new Node(Number.NaN, undefined, -1);
  private epoch = 1;
  /** Tokens held per tenant (SGLang counts characters). */
  readonly tenantTokens = new Map<number, number>();

  insert(hashes: readonly number[], blockTokens: number, tenant: number): void {
    const stamp = this.epoch++;
    let node = this.root;
    if (!node.tenants.has(tenant)) node.tenants.set(tenant, stamp);
    let added = 0;
    for (let i = 0; i < hashes.length; i++) {
      const h = hashes[i];
      let child = node.children.get(h);
      if (!child) {
        // A new suffix is one node in SGLang's radix tree: it gets the insert's epoch.
        child = new Node(h, node, tenant);
        node.children.set(h, child);
        child.tenants.set(tenant, stamp);
        added += blockTokens;
      } else if (!child.tenants.has(tenant)) {
        child.tenants.set(tenant, 0); // intermediate node gains the tenant with timestamp 0
        added += blockTokens;
      }
      node = child;
    }
    if (node !== this.root) node.tenants.set(tenant, stamp);
    if (added > 0) this.tenantTokens.set(tenant, (this.tenantTokens.get(tenant) ?? 0) + added);
  }

  /** Tenant of the last `match` (-1 when nothing matched). */
  matchedTenant = -1;

  /**
   * Longest matched prefix in blocks; `matchedTenant` is the tenant SGLang returns for it: the
   * deepest matched node's creator if it still holds the node, else the node's first tenant.
   */
  match(hashes: readonly number[]): number {
    let node = this.root;
    let blocks = 0;
    for (let i = 0; i < hashes.length; i++) {
      const child = node.children.get(hashes[i]);
      if (!child) break;
      node = child;
      blocks++;
    }
    this.matchedTenant = -1;
    if (node === this.root) return 0;
    let tenant = node.lastTenant;
    if (!node.tenants.has(tenant)) tenant = node.tenants.keys().next().value ?? -1;
    // SGLang refreshes the matched node's timestamp with probability 1/8 (epoch & 7 == 0).
    if (tenant >= 0 && (this.epoch & 7) === 0) node.tenants.set(tenant, this.epoch);
    this.matchedTenant = tenant;
    return blocks;
  }

  /** Evicts, for each tenant above `maxTokens`, its leaves in ascending timestamp order. */
  evict(maxTokens: number, blockTokens: number): void {
    for (const [tenant, tokens] of this.tenantTokens) {
      if (tokens <= maxTokens) continue;
      let left = tokens;
      const leaves: Node[] = [];
      const walk = (n: Node) => {
        let childHolds = false;
        for (const c of n.children.values()) {
          if (c.tenants.has(tenant)) {
            childHolds = true;
            walk(c);
          }
        }
        if (!childHolds && n !== this.root && n.tenants.has(tenant)) leaves.push(n);
      };
      walk(this.root);
      const ts = (n: Node) => n.tenants.get(tenant) ?? 0;
      while (left > maxTokens && leaves.length > 0) {
        let k = 0;
        for (let i = 1; i < leaves.length; i++) if (ts(leaves[i]) < ts(leaves[k])) k = i;
        const leaf = leaves[k];
        leaves[k] = leaves[leaves.length - 1];
        leaves.pop();
        leaf.tenants.delete(tenant);
        left -= blockTokens;
        const parent = leaf.parent as Node;
        if (leaf.tenants.size === 0) parent.children.delete(leaf.hash);
        if (parent !== this.root && parent.tenants.has(tenant)) {
          let holds = false;
          for (const c of parent.children.values()) if (c.tenants.has(tenant)) holds = true;
          if (!holds) leaves.push(parent);
        }
      }
      this.tenantTokens.set(tenant, left);
    }
  }
}

/**
 * SGLang router `cache_aware` (sglang-era `src/policies/cache_aware.rs` at c7f9bf9f5, with #14650:
 * a cache miss goes to the least-loaded worker):
 *
 *   loads = router in-flight requests per worker (the guard moves at routing and at stream end)
 *   imbalanced = max - min > balance_abs_threshold AND max > min x balance_rel_threshold
 *   imbalanced: least-loaded worker (first minimum)
 *   else: rate = matched prefix / prompt length; rate > cache_threshold: the tree's tenant for the
 *         match, else the least-loaded worker (first minimum)
 *   the prompt is inserted into the tree for the chosen worker
 *
 * Defaults are the Rust CLI's: cache_threshold 0.3, balance_abs_threshold 64,
 * balance_rel_threshold 1.5, eviction_interval 120 s, max_tree_size 2^26 per tenant (the Python
 * launcher uses eviction 60 s).
 *
 * Deviations: the tree is over the requests' prefix hash blocks, not characters; rate is matched
 * tokens / prompt tokens (SGLang: characters) and max_tree_size counts tokens. When the matched
 * tenant is not a candidate (pull mode offers only endpoints with capacity) the least-loaded
 * candidate is taken; SGLang, where that means the worker was removed, drops the tenant from the
 * tree and takes the first healthy worker.
 */
export function createSglangCacheAware(options: PolicyOptions = {}): RoutingPolicy {
  const P = 'cache_aware';
  const cacheThreshold = numberOption(options, 'cacheThreshold', 0.3, { min: 0, max: 1 }, P);
  const absThreshold = numberOption(options, 'balanceAbsThreshold', 64, { min: 0 }, P);
  const relThreshold = numberOption(options, 'balanceRelThreshold', 1.5, { min: 0 }, P);
  const evictionIntervalS = numberOption(options, 'evictionIntervalS', 120, { min: 0 }, P);
  const maxTreeSize = numberOption(options, 'maxTreeSize', 2 ** 26, { min: 0 }, P);

  const tree = new ApproxPrefixTree();
  let nextEviction = evictionIntervalS;
  let blockTokens = 0;

  const firstLeastLoaded = (endpoints: readonly EndpointView[]): EndpointView => {
    let best = endpoints[0];
    for (let i = 1; i < endpoints.length; i++) if (endpoints[i].counters.inflight < best.counters.inflight) best = endpoints[i];
    return best;
  };

  return {
    name: P,
    select(req: RequestView, endpoints, ctx) {
      const n = endpoints.length;
      if (n === 0) return undefined;
      const now = ctx.now();
      if (evictionIntervalS > 0 && now >= nextEviction) {
        if (blockTokens > 0) tree.evict(maxTreeSize, blockTokens);
        nextEviction = now + evictionIntervalS;
      }
      let min = Infinity;
      let max = -Infinity;
      for (let i = 0; i < n; i++) {
        const l = endpoints[i].counters.inflight;
        if (l < min) min = l;
        if (l > max) max = l;
      }
      if (max - min > absThreshold && max > min * relThreshold) return firstLeastLoaded(endpoints);
      const blocks = tree.match(req.prefixHashes);
      const matched = Math.min(blocks * req.hashBlockTokens, req.promptTokens);
      const rate = req.promptTokens > 0 ? matched / req.promptTokens : 0;
      if (rate > cacheThreshold) {
        for (let i = 0; i < n; i++) if (endpoints[i].index === tree.matchedTenant) return endpoints[i];
      }
      return firstLeastLoaded(endpoints);
    },
    onDispatch(req, endpoint) {
      blockTokens = req.hashBlockTokens;
      tree.insert(req.prefixHashes, req.hashBlockTokens, endpoint.index);
    },
  };
}
