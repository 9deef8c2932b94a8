import { blockHash, blockStride, sharedBlocks } from '../blocks.js';
import { boolOption, numberOption, optionalNumberOption } from '../options.js';
import { growF64 } from '../pick.js';
import type { PolicyOptions, RoutingPolicy } from '../policy.js';
import type { EndpointView, RequestView, RoutingContext } from '../types.js';

interface Active {
  endpoint: number;
  /** Uncached prompt blocks still to prefill (0 once the first token is out). */
  prefillBlocks: number;
  /** Shared-prefix hashes this request holds active on its endpoint. */
  hashes: readonly number[];
  stride: number;
  shared: number;
  /** Blocks of the request beyond its shared prefix (unique to it). */
  uniqueBlocks: number;
}

interface WorkerState {
  prefillBlocks: number;
  /** Distinct shared blocks active on the worker (assume_kv_reuse: each counted once). */
  distinctShared: number;
  /** Sum over active requests of their shared blocks (counted per request). */
  sharedRefs: number;
  uniqueBlocks: number;
}

/**
 * NVIDIA Dynamo KV router, current cost formulation (`lib/kv-router/src/scheduling/selector/default.rs`,
 * `config.rs`), approximate indexer (no engine KV events):
 *
 *   prompt_blocks     = ceil(prompt tokens / block size)
 *   overlap(w)        = leading prompt blocks cached on w (router's own routing decisions, TTL 120 s)
 *   prefill(w)        = active prefill blocks on w + prompt_blocks
 *   adjusted(w)       = max(prefill(w) - overlap_score_credit x overlap(w), 0)
 *   decode(w)         = active blocks on w + prompt blocks not already active on w
 *   cost(w)           = prefill_load_scale x adjusted(w) + decode(w)
 *   temperature 0: argmin, ties uniformly random; T > 0: P(w) ~ exp(-((cost - min)/(max - min)) / T)
 *
 * Defaults: overlapScoreCredit 1, prefillLoadScale 1, temperature 0, ttlS 120,
 * trackActiveBlocks, assumeKvReuse and trackPrefillTokens on. Legacy `overlapScoreWeight` x sets
 * prefillLoadScale = x (and x = 0 also zeroes the credit). A request's blocks join the active set
 * at dispatch, its prefill blocks leave when its first token is reported (`gateway.firstToken`;
 * without that signal they stay until completion), everything leaves at completion.
 * Deviation: block hashes are the requests' prefix hashes (block size = `blockTokens`, default the
 * request's hashBlockTokens); host/disk overlap tiers and the decay term are not modelled.
 */
export function createDynamoKv(options: PolicyOptions = {}): RoutingPolicy {
  const P = 'dynamo-kv';
  const legacy = optionalNumberOption(options, 'overlapScoreWeight', { min: 0 }, P);
  const prefillScale = numberOption(options, 'prefillLoadScale', legacy ?? 1, { min: 0 }, P);
  const credit = legacy === 0 ? 0 : numberOption(options, 'overlapScoreCredit', 1, { min: 0, max: 1 }, P);
  const temperature = numberOption(options, 'temperature', 0, { min: 0 }, P);
  const ttlS = numberOption(options, 'ttlS', 120, { min: 0 }, P);
  const blockTokensOpt = optionalNumberOption(options, 'blockTokens', { min: 1, integer: true }, P);
  const trackActive = boolOption(options, 'trackActiveBlocks', true, P);
  const assumeReuse = boolOption(options, 'assumeKvReuse', true, P);
  const trackPrefill = boolOption(options, 'trackPrefillTokens', true, P);

  /** hash -> expiry per endpoint index (approximate indexer: the router's own decisions). */
  const cached = new Map<number, number[]>();
  /** hash -> active reference count per endpoint index. */
  const activeBy = new Map<number, number[]>();
  let nextSweep = ttlS;
  const workers: WorkerState[] = [];
  const active = new Map<number, Active>();
  let warnedHbt = -1; // request block size already warned about
  let overlap = new Float64Array(8);
  let reused = new Float64Array(8);
  let cost = new Float64Array(8);
  let stride = 1;
  let promptBlocks = 0;
  let shared = 0;

  const worker = (e: EndpointView) => (workers[e.index] ??= { prefillBlocks: 0, distinctShared: 0, sharedRefs: 0, uniqueBlocks: 0 });

  const geometry = (req: RequestView, ctx: RoutingContext) => {
    stride = blockStride(req, blockTokensOpt);
    const off = blockTokensOpt !== undefined && stride * req.hashBlockTokens !== blockTokensOpt;
    if (off && warnedHbt !== req.hashBlockTokens) {
      warnedHbt = req.hashBlockTokens;
      ctx.warn(`${P}: block size ${blockTokensOpt} approximated by ${stride * req.hashBlockTokens} tokens`);
    }
    promptBlocks = Math.ceil(req.promptTokens / (stride * req.hashBlockTokens));
    shared = Math.min(sharedBlocks(req, stride), promptBlocks);
  };

  const sweep = (now: number) => {
    if (now < nextSweep) return;
    nextSweep = now + Math.max(ttlS, 1);
    for (const [h, exp] of cached) {
      let live = false;
      for (let i = 0; i < exp.length; i++) if (exp[i] > now) live = true;
      if (!live) cached.delete(h);
    }
  };

  return {
    name: P,
    select(req, endpoints, ctx) {
      const n = endpoints.length;
      if (n === 0) return undefined;
      const now = ctx.now();
      sweep(now);
      geometry(req, ctx);
      overlap = growF64(overlap, n);
      reused = growF64(reused, n);
      cost = growF64(cost, n);
      // Overlap: leading blocks present and unexpired for each endpoint; reused: request blocks
      // already active on the endpoint.
      for (let i = 0; i < n; i++) {
        overlap[i] = 0;
        reused[i] = 0;
      }
      let alive = n;
      for (let j = 0; j < shared && alive > 0; j++) {
        const exp = cached.get(blockHash(req, stride, j));
        alive = 0;
        if (!exp) break;
        for (let i = 0; i < n; i++) {
          if (overlap[i] !== j) continue; // stopped at an earlier block
          const x = exp[endpoints[i].index];
          if (x !== undefined && x > now) {
            overlap[i] = j + 1;
            alive++;
          }
        }
      }
      if (trackActive && assumeReuse) {
        for (let j = 0; j < shared; j++) {
          const refs = activeBy.get(blockHash(req, stride, j));
          if (!refs) continue;
          for (let i = 0; i < n; i++) if ((refs[endpoints[i].index] ?? 0) > 0) reused[i]++;
        }
      }
      let min = Infinity;
      let max = -Infinity;
      for (let i = 0; i < n; i++) {
        const w = worker(endpoints[i]);
        const prefill = (trackPrefill ? w.prefillBlocks : 0) + promptBlocks;
        const adjusted = Math.max(prefill - credit * overlap[i], 0);
        let decode = 0;
        if (trackActive) {
          const incoming = promptBlocks - reused[i];
          decode = (assumeReuse ? w.distinctShared : w.sharedRefs) + w.uniqueBlocks + incoming;
        }
        const c = prefillScale * adjusted + decode;
        cost[i] = c;
        if (c < min) min = c;
        if (c > max) max = c;
      }
      if (temperature > 0 && max > min) {
        let sum = 0;
        for (let i = 0; i < n; i++) sum += Math.exp(-((cost[i] - min) / (max - min)) / temperature);
        let r = ctx.random() * sum;
        for (let i = 0; i < n; i++) {
          r -= Math.exp(-((cost[i] - min) / (max - min)) / temperature);
          if (r < 0) return endpoints[i];
        }
        return endpoints[n - 1];
      }
      let best = -1;
      let ties = 0;
      for (let i = 0; i < n; i++) {
        if (best < 0 || cost[i] < cost[best]) {
          best = i;
          ties = 1;
        } else if (cost[i] === cost[best]) {
          ties++;
          if (ctx.random() * ties < 1) best = i;
        }
      }
      return endpoints[best];
    },
    onDispatch(req, endpoint, ctx) {
      const now = ctx.now();
      geometry(req, ctx);
      // Overlap on the chosen endpoint, before this request's blocks are recorded.
      let ov = 0;
      for (let j = 0; j < shared; j++) {
        const exp = cached.get(blockHash(req, stride, j))?.[endpoint.index];
        if (exp === undefined || exp <= now) break;
        ov++;
      }
      for (let j = 0; j < shared; j++) {
        const h = blockHash(req, stride, j);
        let exp = cached.get(h);
        if (!exp) cached.set(h, (exp = []));
        exp[endpoint.index] = now + ttlS;
      }
      const w = worker(endpoint);
      const a: Active = {
        endpoint: endpoint.index,
        prefillBlocks: promptBlocks - ov, // new (uncached) tokens, in blocks
        hashes: req.prefixHashes,
        stride,
        shared,
        uniqueBlocks: promptBlocks - shared,
      };
      active.set(req.id, a);
      w.prefillBlocks += a.prefillBlocks;
      w.uniqueBlocks += a.uniqueBlocks;
      for (let j = 0; j < shared; j++) {
        const h = blockHash(req, stride, j);
        let refs = activeBy.get(h);
        if (!refs) activeBy.set(h, (refs = []));
        const c = refs[endpoint.index] ?? 0;
        if (c === 0) w.distinctShared++;
        refs[endpoint.index] = c + 1;
      }
      w.sharedRefs += shared;
    },
    onFirstToken(req) {
      const a = active.get(req.id);
      if (!a || a.prefillBlocks === 0) return;
      workers[a.endpoint].prefillBlocks -= a.prefillBlocks;
      a.prefillBlocks = 0;
    },
    onComplete(req) {
      const a = active.get(req.id);
      if (!a) return;
      active.delete(req.id);
      const w = workers[a.endpoint];
      w.prefillBlocks -= a.prefillBlocks;
      w.uniqueBlocks -= a.uniqueBlocks;
      w.sharedRefs -= a.shared;
      for (let j = 0; j < a.shared; j++) {
        const h = a.hashes[(j + 1) * a.stride - 1];
        const refs = activeBy.get(h);
        if (!refs) continue;
        const c = (refs[a.endpoint] ?? 1) - 1;
        refs[a.endpoint] = c;
        if (c === 0) {
          w.distinctShared--;
          let any = false;
          for (let i = 0; i < refs.length; i++) if ((refs[i] ?? 0) > 0) any = true;
          if (!any) activeBy.delete(h);
        }
      }
    },
  };
}
