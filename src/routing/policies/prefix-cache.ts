import { blockHash, blockStride, CHARS_PER_TOKEN, characterBlockTokens, sharedBlocks } from '../blocks.js';
import { Lru } from '../lru.js';
import { numberOption } from '../options.js';
import { growF64, growU8 } from '../pick.js';
import type { PolicyOptions, ScoringPolicy } from '../policy.js';
import type { EndpointView, RequestView, RoutingContext } from '../types.js';

interface Block {
  /** Endpoint indices holding the block. */
  pods: number[];
  lastPut: number;
}

/**
 * AIBrix `prefix-cache` (`prefix_cache.go`, `utils/prefixcacheindexer/hash.go`), gateway-side
 * index variant (no KV-event sync):
 *
 * 1. counts = gateway in-flight requests per endpoint; if max - min > imbalanceAbsCount the
 *    candidates shrink to the endpoints with the minimum count (prefix matching still runs).
 * 2. The prompt's blocks are looked up in order in the hash index; an endpoint stays matched only
 *    while it holds every block so far; match% = floor(100 x k / total blocks of the prompt).
 * 3. Matched endpoints ordered by match% desc, then count asc (ties random); the first whose count
 *    is <= mean + stdDevFactor x sample std of the counts wins; otherwise least-request.
 * 4. After routing the prompt's blocks are added for the chosen endpoint. Blocks idle (not re-added)
 *    for evictionS seconds are dropped, and the index holds at most capacityBlocks blocks (LRU).
 *
 * Defaults are the deployed gateway yaml: imbalanceAbsCount 16, stdDevFactor 2, block size 128
 * (the Go code defaults are 8, 1 and 4); evictionS 1200, capacityBlocks 200000. The deployed
 * tokenizer is "character" (vllm-project/aibrix@e3e10f9e:config/gateway/gateway-plugin/gateway-plugin.yaml
 * AIBRIX_PREFIX_CACHE_TOKENIZER_TYPE, pkg/utils/tokenizer/local_characters.go: the prompt's
 * bytes), so a block is 128 characters: blockChars 128 / charsPerToken 4 = 32-token blocks
 * (blocks.ts). `blockTokens` sets the block in tokens directly (AIBrix's tiktoken tokenizer turns
 * each token into 4 bytes, so its block size 128 is blockTokens 32).
 *
 * Deviation: AIBrix chains xxhash64 over the prompt's bytes; here the request's `prefixHashes`
 * stand in for those hashes (see blocks.ts), and characters are tokens x charsPerToken. The blocks after the shared prefix are
 * unique to the prompt: they never match, but they count in match% denominators and take index
 * capacity as one LRU entry per prompt. ScoreAll: match% per endpoint, polarity most.
 *
 * Over a fixed endpoint list (`selectIndexed`) a prompt whose first shared block is not indexed
 * skips the scans: its choice is least-request over the candidates, read from the gateway's
 * in-flight index with the same draws.
 */
export function createPrefixCache(options: PolicyOptions = {}): ScoringPolicy {
  const P = 'prefix-cache';
  const imbalanceAbs = numberOption(options, 'imbalanceAbsCount', 16, { min: 0 }, P);
  const stdFactor = numberOption(options, 'stdDevFactor', 2, { min: 0 }, P);
  const blockChars = numberOption(options, 'blockChars', 128, { min: 1, integer: true }, P);
  const charsPerToken = numberOption(options, 'charsPerToken', CHARS_PER_TOKEN, { min: 0.1 }, P);
  const blockTokens = numberOption(options, 'blockTokens', characterBlockTokens(blockChars, charsPerToken), { min: 1, integer: true }, P);
  const evictionS = numberOption(options, 'evictionS', 1200, { min: 0 }, P);
  const capacity = numberOption(options, 'capacityBlocks', 200000, { min: 1, integer: true }, P);

  // Entries weigh 1 block, except one entry per prompt standing for its unique tail blocks.
  const index = new Lru<Block>();
  let warnedHbt = -1; // request block size already warned about
  // Per-call buffers, indexed by position in the candidate list.
  let match = new Float64Array(8);
  // Whether a pod holds the first block: a pod can match at 0 % (integer percent of a long prompt)
  // and still be a candidate, as in AIBrix's matched-pods map.
  let matched = new Uint8Array(8);
  let alive = new Uint8Array(8);
  let ready = new Uint8Array(8);

  const strideFor = (req: RequestView, ctx: RoutingContext) => {
    const stride = blockStride(req, blockTokens);
    if (stride * req.hashBlockTokens !== blockTokens && warnedHbt !== req.hashBlockTokens) {
      warnedHbt = req.hashBlockTokens;
      ctx.warn(
        `${P}: requests hash ${req.hashBlockTokens}-token blocks; AIBrix's ${blockTokens}-token blocks are approximated by ` +
          `${stride * req.hashBlockTokens}-token blocks`,
      );
    }
    return stride;
  };

  const evictIdle = (now: number) => {
    for (let e = index.oldest(); e && now - e.value.lastPut > evictionS; e = index.oldest()) index.shift();
  };

  /** Fills match[i] (percent) for the candidates with ready[i] set; returns whether any matched. */
  const matchPrefix = (req: RequestView, endpoints: readonly EndpointView[], ctx: RoutingContext): boolean => {
    const n = endpoints.length;
    match = growF64(match, n);
    matched = growU8(matched, n);
    alive = growU8(alive, n);
    let any = false;
    for (let i = 0; i < n; i++) {
      match[i] = 0;
      matched[i] = 0;
      alive[i] = ready[i];
    }
    const stride = strideFor(req, ctx);
    const total = Math.floor(req.promptTokens / (stride * req.hashBlockTokens));
    const shared = Math.min(sharedBlocks(req, stride), total);
    for (let j = 0; j < shared; j++) {
      const block = index.get(blockHash(req, stride, j));
      if (!block) break;
      const pct = Math.floor(((j + 1) * 100) / total);
      let hit = false;
      for (let i = 0; i < n; i++) {
        if (!alive[i]) continue;
        if (block.pods.includes(endpoints[i].index)) {
          match[i] = pct;
          matched[i] = 1;
          hit = true;
        } else alive[i] = 0;
      }
      if (!hit) break;
      any = true;
    }
    return any;
  };

  const addPrefix = (req: RequestView, endpoint: EndpointView, ctx: RoutingContext) => {
    const now = ctx.now();
    evictIdle(now);
    const stride = blockStride(req, blockTokens);
    const total = Math.floor(req.promptTokens / (stride * req.hashBlockTokens));
    const shared = Math.min(sharedBlocks(req, stride), total);
    for (let j = 0; j < shared; j++) {
      const h = blockHash(req, stride, j);
      const b = index.get(h);
      if (b) {
        if (!b.pods.includes(endpoint.index)) b.pods.push(endpoint.index);
        b.lastPut = now;
        index.touch(h); // LRU Put moves the entry to the head
      } else index.put(h, { pods: [endpoint.index], lastPut: now });
    }
    if (total > shared) {
      // The unique rest of the prompt: never matched, but it takes index capacity.
      index.put(-(req.id + 0.5), { pods: [endpoint.index], lastPut: now }, total - shared);
    }
    while (index.weight > capacity) index.shift();
  };

  /** Whether matchPrefix can find anything: the prompt has a shared block and its first is indexed. */
  const mayMatch = (req: RequestView, ctx: RoutingContext): boolean => {
    const stride = strideFor(req, ctx);
    const total = Math.floor(req.promptTokens / (stride * req.hashBlockTokens));
    return Math.min(sharedBlocks(req, stride), total) > 0 && index.has(blockHash(req, stride, 0));
  };

  const policy: ScoringPolicy = {
    name: P,
    polarity: 'most',
    bypassSingleEndpoint: true,
    selectIndexed(req, fleet, ctx) {
      if (fleet.endpoints.length === 0) return undefined;
      evictIdle(ctx.now());
      if (mayMatch(req, ctx)) return policy.select(req, fleet.endpoints, ctx);
      // Nothing matches: the rule is least-request over the candidates, which are every endpoint,
      // or those with the fewest in flight when the counts spread by more than imbalanceAbs.
      const idx = fleet.inflight;
      return idx.most - idx.least > imbalanceAbs ? idx.pickAmongLeast(ctx) : idx.pickMinRandomTie(ctx);
    },
    select(req, endpoints, ctx) {
      const n = endpoints.length;
      if (n === 0) return undefined;
      evictIdle(ctx.now());
      ready = growU8(ready, n);
      let min = Infinity;
      let max = -Infinity;
      for (let i = 0; i < n; i++) {
        const c = endpoints[i].counters.inflight;
        if (c < min) min = c;
        if (c > max) max = c;
      }
      const imbalanced = max - min > imbalanceAbs;
      let nReady = 0;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const c = endpoints[i].counters.inflight;
        ready[i] = !imbalanced || c === min ? 1 : 0;
        if (ready[i]) {
          nReady++;
          sum += c;
        }
      }
      if (matchPrefix(req, endpoints, ctx)) {
        const mean = sum / nReady;
        let sq = 0;
        for (let i = 0; i < n; i++) if (ready[i]) sq += (endpoints[i].counters.inflight - mean) ** 2;
        const std = nReady > 1 ? Math.sqrt(sq / (nReady - 1)) : 0;
        const limit = mean + stdFactor * std;
        let best = -1;
        let ties = 0;
        for (let i = 0; i < n; i++) {
          if (!ready[i] || !matched[i]) continue;
          const c = endpoints[i].counters.inflight;
          if (c > limit) continue;
          if (best < 0 || match[i] > match[best] || (match[i] === match[best] && c < endpoints[best].counters.inflight)) {
            best = i;
            ties = 1;
          } else if (match[i] === match[best] && c === endpoints[best].counters.inflight) {
            ties++;
            if (ctx.random() * ties < 1) best = i;
          }
        }
        if (best >= 0) return endpoints[best];
      }
      // Fallback: least request count among the (possibly restricted) candidates, random tie.
      let best = -1;
      let ties = 0;
      for (let i = 0; i < n; i++) {
        if (!ready[i]) continue;
        const c = endpoints[i].counters.inflight;
        if (best < 0 || c < endpoints[best].counters.inflight) {
          best = i;
          ties = 1;
        } else if (c === endpoints[best].counters.inflight) {
          ties++;
          if (ctx.random() * ties < 1) best = i;
        }
      }
      return best >= 0 ? endpoints[best] : undefined;
    },
    onDispatch: addPrefix,
    postRouteUpdate: addPrefix,
    scoreAll(req, endpoints, ctx, scores, scored) {
      const n = endpoints.length;
      evictIdle(ctx.now());
      ready = growU8(ready, n);
      for (let i = 0; i < n; i++) ready[i] = 1;
      matchPrefix(req, endpoints, ctx);
      for (let i = 0; i < n; i++) {
        scores[i] = match[i];
        scored[i] = 1;
      }
    },
  };
  return policy;
}
