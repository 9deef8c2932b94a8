import { blockHash, blockStride, sharedBlocks } from '../blocks.js';
import { RoutingConfigError } from '../errors.js';
import { Lru } from '../lru.js';
import { numberOption } from '../options.js';
import { growF64 } from '../pick.js';
import type { PolicyOptions, RoutingPolicy } from '../policy.js';
import type { EndpointView, RequestView, RoutingContext } from '../types.js';

/** Scorer names as llm-d's configuration spells them, with our short aliases. */
const SCORERS = {
  'queue-scorer': 'queue',
  queue: 'queue',
  'kv-cache-utilization-scorer': 'kvCache',
  kvCache: 'kvCache',
  'kv-cache': 'kvCache',
  'prefix-cache-scorer': 'prefix',
  prefix: 'prefix',
  'active-request-scorer': 'activeRequest',
  activeRequest: 'activeRequest',
  'active-request': 'activeRequest',
} as const;

type Scorer = (typeof SCORERS)[keyof typeof SCORERS];

/**
 * llm-d inference scheduler endpoint picker (`llm-d/llm-d-inference-scheduler`, GIE EPP lineage),
 * default profile: no filters, weighted scorers, max-score picker.
 *
 *   score(e) = sum over scorers of weight x clamp(scorer(e), 0, 1)   (a plain weighted sum)
 *   queue-scorer                (maxQ - Q) / (maxQ - minQ), 1 when all equal; Q = scraped waiting
 *   kv-cache-utilization-scorer 1 - KV usage (scraped)
 *   prefix-cache-scorer         matched blocks / prompt blocks, from the approximate prefix index
 *   active-request-scorer       1 when idle, else (maxCount - c) / maxCount; c = EPP in-flight
 *   pick: the maximum, uniformly at random among ties (shuffle then stable sort)
 *
 * Default weights (`loader/defaults.go`): queue 2, kv-cache 2, prefix 3; active-request is not in
 * the default set (weight 0). Option `weights` overrides them by scorer name, e.g.
 * `{ "prefix-cache-scorer": 2, "active-request-scorer": 1, "queue-scorer": 0 }`.
 *
 * Approximate prefix producer: 16-token blocks (blockTokens), at most 256 blocks per prompt, no
 * hashes for prompts shorter than one block; a block counts for every endpoint holding it, in
 * order until a block nobody holds; after the pick all the prompt's blocks are added to the chosen
 * endpoint's LRU (31250 blocks per endpoint, lruCapacity), evictions removing it from the index.
 * Deviation: the requests' prefix hashes stand in for llm-d's chained xxh64 over 4-chars-per-token
 * blocks (see blocks.ts); the unique rest of a prompt takes LRU capacity as one entry.
 */
export function createLlmD(options: PolicyOptions = {}): RoutingPolicy {
  const P = 'llm-d';
  const weights: Record<Scorer, number> = { queue: 2, kvCache: 2, prefix: 3, activeRequest: 0 };
  const w = options.weights;
  if (w !== undefined) {
    if (typeof w !== 'object' || w === null || Array.isArray(w)) {
      throw new RoutingConfigError(`${P}: option "weights" must be an object of scorer name -> weight`, undefined, 'weights');
    }
    for (const [name, v] of Object.entries(w)) {
      const key = (SCORERS as Record<string, Scorer>)[name];
      if (!key) {
        throw new RoutingConfigError(
          `${P}: unknown scorer "${name}" in "weights"; known: queue-scorer, kv-cache-utilization-scorer, prefix-cache-scorer, active-request-scorer`,
          undefined,
          `weights.${name}`,
        );
      }
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        throw new RoutingConfigError(`${P}: weight of "${name}" must be a non-negative number, got ${JSON.stringify(v)}`, undefined, `weights.${name}`);
      }
      weights[key] = v;
    }
  }
  const blockTokens = numberOption(options, 'blockTokens', 16, { min: 1, integer: true }, P);
  const maxBlocks = numberOption(options, 'maxPrefixBlocks', 256, { min: 1, integer: true }, P);
  const lruCapacity = numberOption(options, 'lruCapacity', 31250, { min: 1, integer: true }, P);

  const index = new Map<number, number[]>();
  const lrus: Lru<null>[] = [];
  let warnedHbt = -1; // request block size already warned about
  let total = new Float64Array(8);
  let matched = new Float64Array(8);

  const lruOf = (e: EndpointView) => (lrus[e.index] ??= new Lru<null>());
  let geoStride = 1;
  let geoBlocks = 0;
  let geoShared = 0;

  const geometry = (req: RequestView, ctx: RoutingContext) => {
    const stride = blockStride(req, blockTokens);
    if (stride * req.hashBlockTokens !== blockTokens && warnedHbt !== req.hashBlockTokens) {
      warnedHbt = req.hashBlockTokens;
      ctx.warn(
        `${P}: requests hash ${req.hashBlockTokens}-token blocks; llm-d's ${blockTokens}-token blocks are ` +
          `approximated by ${stride * req.hashBlockTokens}-token blocks`,
      );
    }
    const size = stride * req.hashBlockTokens;
    const blocks = req.promptTokens < size ? 0 : Math.min(maxBlocks, Math.ceil(req.promptTokens / size));
    geoStride = stride;
    geoBlocks = blocks;
    geoShared = Math.min(sharedBlocks(req, stride), blocks);
  };

  return {
    name: P,
    select(req, endpoints, ctx) {
      const n = endpoints.length;
      if (n === 0) return undefined;
      total = growF64(total, n);
      matched = growF64(matched, n);
      let minQ = Infinity;
      let maxQ = -Infinity;
      let maxCount = 0;
      for (let i = 0; i < n; i++) {
        const e = endpoints[i];
        const q = Number.isFinite(e.metrics.waiting) ? e.metrics.waiting : 0;
        if (q < minQ) minQ = q;
        if (q > maxQ) maxQ = q;
        if (e.counters.inflight > maxCount) maxCount = e.counters.inflight;
        matched[i] = 0;
      }
      if (weights.prefix > 0) {
        geometry(req, ctx);
        for (let j = 0; j < geoShared; j++) {
          const pods = index.get(blockHash(req, geoStride, j));
          if (!pods || pods.length === 0) break;
          for (let i = 0; i < n; i++) if (pods.includes(endpoints[i].index)) matched[i]++;
        }
      }
      for (let i = 0; i < n; i++) {
        const e = endpoints[i];
        let s = 0;
        if (weights.queue > 0) {
          const q = Number.isFinite(e.metrics.waiting) ? e.metrics.waiting : 0;
          s += weights.queue * (maxQ === minQ ? 1 : clamp01((maxQ - q) / (maxQ - minQ)));
        }
        if (weights.kvCache > 0) {
          const kv = Number.isFinite(e.metrics.kvUsage) ? e.metrics.kvUsage : 0;
          s += weights.kvCache * clamp01(1 - kv);
        }
        if (weights.prefix > 0 && geoBlocks > 0) s += weights.prefix * clamp01(matched[i] / geoBlocks);
        if (weights.activeRequest > 0) {
          const c = e.counters.inflight;
          s += weights.activeRequest * (c <= 0 ? 1 : clamp01((maxCount - c) / maxCount));
        }
        total[i] = s;
      }
      let best = 0;
      let ties = 1;
      for (let i = 1; i < n; i++) {
        if (total[i] > total[best]) {
          best = i;
          ties = 1;
        } else if (total[i] === total[best]) {
          ties++;
          if (ctx.random() * ties < 1) best = i;
        }
      }
      return endpoints[best];
    },
    onDispatch(req, endpoint, ctx) {
      if (weights.prefix <= 0) return;
      geometry(req, ctx);
      const lru = lruOf(endpoint);
      for (let j = 0; j < geoShared; j++) {
        const h = blockHash(req, geoStride, j);
        if (lru.touch(h)) continue;
        lru.put(h, null);
        const pods = index.get(h);
        if (pods) pods.push(endpoint.index);
        else index.set(h, [endpoint.index]);
      }
      const rest = geoBlocks - geoShared;
      if (rest > 0) lru.put(-(req.id + 0.5), null, rest); // the prompt's unique blocks, as one entry
      while (lru.weight > lruCapacity) {
        const k = (lru.shift() as { key: number }).key;
        const pods = index.get(k);
        if (pods) {
          const at = pods.indexOf(endpoint.index);
          if (at >= 0) pods.splice(at, 1);
          if (pods.length === 0) index.delete(k);
        }
      }
    },
  };
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
