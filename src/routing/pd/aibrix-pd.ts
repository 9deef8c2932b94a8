import { boolOption, enumOption, numberOption } from '../options.js';
import { growF64, growU8, known, pickMinRandomTie } from '../pick.js';
import type { PolicyOptions } from '../policy.js';
import { createPrefixCache } from '../policies/prefix-cache.js';
import type { EndpointView, RequestView, RoutingContext } from '../types.js';
import { rolesetOf, type PdRoutingPolicy } from './policy.js';

const PREFILL_POLICIES = ['prefix_cache', 'least_request'] as const;
const DECODE_POLICIES = ['load_balancing', 'least_request', 'conductor'] as const;
/** AIBrix defaultDrainRateEpsilon: drain rates are floored at this in the drain-rate score. */
const DRAIN_EPSILON = 0.1;

/** Gateway counters the policy reads (AIBrix trackers), 0 when the host never set them. */
const prefillCount = (e: EndpointView): number => e.counters.prefillInflight ?? 0;
const pendingOf = (e: EndpointView): number => e.counters.pendingDecode ?? 0;
/** AIBrix decode request count: realtime running + PendingDecodeTracker. */
const decodeReqs = (e: EndpointView): number => (e.counters.decodeRunning ?? 0) + pendingOf(e);
/** AIBrix: the realtime running metric exists for the pod (a request has reached it for decode). */
const started = (e: EndpointView): boolean => (e.counters.decodeStarted ?? 0) > 0;
/** avg_generation_throughput_toks_per_s, or undefined when not reported. */
const throughputOf = (e: EndpointView): number | undefined =>
  known(e.metrics.updatedAt) && known(e.metrics.generationTokensPerS) ? e.metrics.generationTokensPerS : undefined;
/** Free KV percent, round(100 - usage x 100), floored at 0.1; a missing usage counts as 0. */
const freeOf = (e: EndpointView): number => {
  const kv = known(e.metrics.updatedAt) && known(e.metrics.kvUsage) ? e.metrics.kvUsage : 0;
  const f = Math.round(100 - kv * 100);
  return f <= 0 ? 0.1 : f;
};

/** Best (lowest) score per roleset, uniform among ties (AIBrix shuffles pods before scoring). */
class RolesetBest {
  readonly best = new Map<string, { e: EndpointView; s: number; ties: number }>();
  offer(e: EndpointView, s: number, ctx: RoutingContext): void {
    const g = rolesetOf(e);
    const b = this.best.get(g);
    if (!b) this.best.set(g, { e, s, ties: 1 });
    else if (s < b.s) {
      b.e = e;
      b.s = s;
      b.ties = 1;
    } else if (s === b.s) {
      b.ties++;
      if (ctx.random() * b.ties < 1) b.e = e;
    }
  }
}

/**
 * AIBrix `pd` router (`pd_disaggregation.go`, `pd/` at main e3e10f9e): picks a (prefill, decode)
 * pair inside one roleset (EndpointView.group).
 *
 * 1. Rolesets with a prefill and a decode candidate are eligible.
 * 2. Prefill imbalance fast path: counts = in-flight prefills (PrefillRequestTracker, the
 *    gateway's `prefillInflight`). If max - min > prefillImbalanceMinSpread (16): prefill
 *    candidates = one random least-loaded pod, decode candidates = its roleset's.
 * 3. Decode imbalance fast path, three ordered checks over the decode candidates; the first that
 *    fires keeps one decode pod and narrows the prefill candidates to its roleset:
 *    a. reqs = running + pending decode (`decodeRunning + pendingDecode`), among warm pods (a
 *       request has reached them, `decodeStarted > 0`): max - min >= decodeImbalanceMinSpread (16)
 *       -> the least-loaded;
 *    b. among pods reporting generation throughput: max - min > 2048 tok/s -> the lowest;
 *    c. if every pod has a drain rate > 0 (`drainRate1m`, completions/s over 1 min):
 *       s = reqs / max(drain, 0.1); max s / min s > 1.5 -> the lowest s.
 * 4. Prefill score per pod (pods with count > mean + stdDevFactor x sample std skipped):
 *    prefix_cache (default) (100 - prefix match %) x 0.1 + count / max(1, max count);
 *    least_request: count. Best pod per roleset; maxPrefill = max(1, max score).
 * 5. Decode score per pod; when some pods are warm, a cold pod scores 1 + pending:
 *    load_balancing (default) (wRun x reqs/maxReqs + wThru x (1 - thru/maxThru)) / (free/maxFree),
 *    free = round(100 - KV usage %) floored at 0.1, maxima floored at 1 (taken before check 3's
 *    narrowing); least_request: reqs; conductor: (thru > 0 ? 1000/thru : 20) x (1 + 1/max(reqs, 1)),
 *    x 1.5 above 90 % KV usage. NaN -> load_balancing. Best per roleset; maxDecode = max(0.01, max).
 * 6. Argmin over rolesets of prefill/maxPrefill + decode/maxDecode (ties uniform: Go map order).
 * After the pick the prompt's prefix is indexed for the prefill pod.
 *
 * Every "first pod" rule over AIBrix's shuffled pod lists is a uniform choice among exact ties.
 * Prefix matching is the `prefix-cache` policy's gateway-side hash index (its options apply:
 * blockChars 128 with the character tokenizer = 32-token blocks, evictionS, capacityBlocks).
 */
export function createAibrixPd(options: PolicyOptions = {}): PdRoutingPolicy {
  const P = 'pd';
  const prefillPolicy = enumOption(options, 'prefillScorePolicy', PREFILL_POLICIES, 'prefix_cache', P);
  const decodePolicy = enumOption(options, 'decodeScorePolicy', DECODE_POLICIES, 'load_balancing', P);
  const prefillSpread = numberOption(options, 'prefillImbalanceMinSpread', 16, { min: 0 }, P);
  const decodeSpread = numberOption(options, 'decodeImbalanceMinSpread', 16, { min: 0 }, P);
  const thruSpread = numberOption(options, 'decodeThroughputImbalanceMinSpread', 2048, { min: 0 }, P);
  const ratioThreshold = numberOption(options, 'decodeScoreRatioThreshold', 1.5, { min: 0 }, P);
  const wRun = numberOption(options, 'decodeLbWeightRunning', 1, { min: 0 }, P);
  const wThru = numberOption(options, 'decodeLbWeightThroughput', 1, { min: 0 }, P);
  const stdFactor = numberOption(options, 'stdDevFactor', 2, { min: 0 }, P);
  const minMatchPct = numberOption(options, 'minMatchPct', 0, { min: 0, max: 100 }, P);
  // A gateway with Redis (as AIBrix deploys it) syncs the running metric of every ready pod every
  // 100 ms, zeros included, so no pod is cold for long (vllm-project/aibrix@e3e10f9e:
  // pkg/cache/cache_metrics.go, syncRunningRequestsGlobally). Without Redis a pod has the metric
  // only once a request reached it, which is what the default models.
  const runningSync = boolOption(options, 'runningMetricSync', false, P);
  const warm = runningSync ? () => true : started;
  const prefix = prefillPolicy === 'prefix_cache' ? createPrefixCache(options) : undefined;

  let matchBuf = new Float64Array(8);
  let scoredBuf = new Uint8Array(8);

  interface DecodeInput {
    reqs: number;
    thru: number;
    free: number;
    maxReqs: number;
    maxThru: number;
    maxFree: number;
  }
  const loadBalancing = (d: DecodeInput) =>
    (wRun * (d.reqs / d.maxReqs) + wThru * (1 - d.thru / d.maxThru)) / (d.free / d.maxFree);
  const decodeScore = (d: DecodeInput): number => {
    let s: number;
    if (decodePolicy === 'least_request') s = d.reqs;
    else if (decodePolicy === 'conductor') {
      const tbt = (d.thru > 0 ? 1000 / d.thru : 20) * (1 + 1 / Math.max(d.reqs, 1));
      s = 1 - d.free / 100 > 0.9 ? tbt * 1.5 : tbt;
    } else s = loadBalancing(d);
    return Number.isNaN(s) ? loadBalancing(d) : s;
  };

  return {
    name: P,
    selectPair(req: RequestView, prefillIn, decodeIn, ctx) {
      // 1. Eligible rolesets: a prefill and a decode candidate.
      const pSets = new Set<string>();
      const dSets = new Set<string>();
      for (const e of prefillIn) pSets.add(rolesetOf(e));
      for (const e of decodeIn) dSets.add(rolesetOf(e));
      let prefill: readonly EndpointView[] = prefillIn.filter((e) => dSets.has(rolesetOf(e)));
      let decode: readonly EndpointView[] = decodeIn.filter((e) => pSets.has(rolesetOf(e)));
      if (prefill.length === 0 || decode.length === 0) return undefined;

      // 2. Prefill imbalance fast path.
      let minC = Infinity;
      let maxC = -Infinity;
      for (const e of prefill) {
        const c = prefillCount(e);
        if (c < minC) minC = c;
        if (c > maxC) maxC = c;
      }
      if (maxC - minC > prefillSpread) {
        const p = pickMinRandomTie(prefill, prefillCount, ctx) as EndpointView;
        prefill = [p];
        decode = decode.filter((e) => rolesetOf(e) === rolesetOf(p));
      }

      // 3. Decode imbalance fast path (also collects the maxima for scoring).
      let maxReqs = 1;
      let maxThru = 1;
      let maxFree = 1;
      let minObsR = Infinity;
      let maxObsR = -Infinity;
      let minObsT = Infinity;
      let maxObsT = -Infinity;
      let nWarm = 0;
      let nThru = 0;
      for (const e of decode) {
        const r = decodeReqs(e);
        if (warm(e)) {
          nWarm++;
          if (r < minObsR) minObsR = r;
          if (r > maxObsR) maxObsR = r;
        }
        maxReqs = Math.max(maxReqs, r);
        const t = throughputOf(e);
        if (t !== undefined) {
          nThru++;
          if (t < minObsT) minObsT = t;
          if (t > maxObsT) maxObsT = t;
          maxThru = Math.max(maxThru, t);
        }
        maxFree = Math.max(maxFree, freeOf(e));
      }
      let target: EndpointView | undefined;
      if (nWarm > 0 && maxObsR - minObsR >= decodeSpread) {
        target = pickMinRandomTie(decode, (e) => (warm(e) ? decodeReqs(e) : Number.NaN), ctx);
      } else if (nThru > 0 && maxObsT - minObsT > thruSpread) {
        target = pickMinRandomTie(decode, (e) => throughputOf(e) ?? Number.NaN, ctx);
      } else {
        let all = true;
        let minS = Infinity;
        let maxS = 0;
        for (const e of decode) {
          const drain = e.counters.drainRate1m;
          if (drain === undefined || !(drain > 0)) {
            all = false;
            break;
          }
          const s = decodeReqs(e) / Math.max(drain, DRAIN_EPSILON);
          if (s < minS) minS = s;
          if (s > maxS) maxS = s;
        }
        if (all && minS > 0 && maxS / minS > ratioThreshold) {
          target = pickMinRandomTie(decode, (e) => decodeReqs(e) / Math.max(e.counters.drainRate1m as number, DRAIN_EPSILON), ctx);
        }
      }
      if (target) {
        const t = target;
        decode = [t];
        const aligned = prefill.filter((e) => rolesetOf(e) === rolesetOf(t));
        if (aligned.length > 0) prefill = aligned;
      }

      // 4. Prefill scores.
      const np = prefill.length;
      let sum = 0;
      let maxCount = 1;
      for (const e of prefill) {
        const c = prefillCount(e);
        sum += c;
        if (c > maxCount) maxCount = c;
      }
      const mean = sum / np;
      let sq = 0;
      for (const e of prefill) sq += (prefillCount(e) - mean) ** 2;
      const std = np > 1 ? Math.sqrt(sq / (np - 1)) : 0;
      const limit = mean + stdFactor * std;
      matchBuf = growF64(matchBuf, np);
      scoredBuf = growU8(scoredBuf, np);
      if (prefix) prefix.scoreAll(req, prefill, ctx, matchBuf, scoredBuf);
      const prefillBest = new RolesetBest();
      let maxPrefill = 1;
      for (let i = 0; i < np; i++) {
        const e = prefill[i];
        const c = prefillCount(e);
        if (c > limit) continue;
        let s: number;
        if (prefix) {
          const m = matchBuf[i] < minMatchPct ? 0 : matchBuf[i];
          s = (100 - m) * 0.1 + c / maxCount;
        } else s = c;
        prefillBest.offer(e, s, ctx);
        if (s > maxPrefill) maxPrefill = s;
      }

      // 5. Decode scores.
      const anyWarm = decode.some(warm);
      const decodeBest = new RolesetBest();
      let maxDecode = 0.01;
      for (const e of decode) {
        let s: number;
        if (anyWarm && !warm(e)) s = 1 + pendingOf(e); // cold start
        else {
          s = decodeScore({ reqs: decodeReqs(e), thru: throughputOf(e) ?? 0, free: freeOf(e), maxReqs, maxThru, maxFree });
          if (Number.isNaN(s)) continue;
        }
        decodeBest.offer(e, s, ctx);
        if (s > maxDecode) maxDecode = s;
      }

      // 6. Roleset choice.
      let best: { p: EndpointView; d: EndpointView } | undefined;
      let bestF = Number.MAX_VALUE;
      let ties = 0;
      for (const [g, ps] of prefillBest.best) {
        const ds = decodeBest.best.get(g);
        if (!ds) continue;
        const f = ps.s / maxPrefill + ds.s / maxDecode;
        if (f < bestF) {
          bestF = f;
          best = { p: ps.e, d: ds.e };
          ties = 1;
        } else if (f === bestF && best) {
          ties++;
          if (ctx.random() * ties < 1) best = { p: ps.e, d: ds.e };
        }
      }
      return best ? { prefill: best.p, decode: best.d } : undefined;
    },
    onDispatch(req, prefill, _decode, ctx) {
      prefix?.postRouteUpdate?.(req, prefill, ctx);
    },
  };
}
