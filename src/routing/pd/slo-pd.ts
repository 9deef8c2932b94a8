import { RoutingConfigError } from '../errors.js';
import { enumOption, numberOption } from '../options.js';
import { known } from '../pick.js';
import type { PolicyOptions } from '../policy.js';
import type { EndpointView, RequestView, RoutingContext } from '../types.js';
import type { PdRoutingPolicy } from './policy.js';

/**
 * Step-time profile of one GPU type serving the model: what `slo-pd` predicts from.
 * prefill: tokens per second of a prefill instance with a backlog. decode: one decode step
 * (one token for every running sequence) takes baseS + perSeqS x sequences + perKvTokenS x KV
 * tokens of those sequences.
 */
export interface SloPdProfile {
  prefillTokensPerS?: number;
  decodeBaseS?: number;
  decodePerSeqS?: number;
  decodePerKvTokenS?: number;
}

/** Used for a GPU type the profile does not cover (warned): an H100-class 8B model, roughly. */
const GENERIC: Required<SloPdProfile> = { prefillTokensPerS: 20000, decodeBaseS: 0.008, decodePerSeqS: 0.00005, decodePerKvTokenS: 2e-8 };

/** Weight of a new observation in the live corrections (exponential moving average). */
const EWMA = 0.3;
/** Live prefill rate: trusted once this many prompt tokens were measured on an endpoint. */
const MIN_MEASURED_TOKENS = 4096;

interface PrefillState {
  /** Prompt tokens routed here whose prefill has not finished. */
  pending: number;
  /** Time of the last change of `pending`; busy time accrues while pending > 0. */
  since: number;
  busyS: number;
  doneTokens: number;
}

interface DecodeState {
  /** Observed / predicted TPOT, from the last scraped snapshots (live source). */
  correction: number;
  stamp: number;
}

/**
 * `slo-pd`: routesim's SLO-aware prefill/decode router (not a port; AIBrix's `pd` has no SLO
 * awareness and its `slo` ignores roles). Design in docs/pd.md.
 *
 * Prefill: predicted TTFT(p) = waited + (pending prompt tokens on p + prompt) / rate(p) + KV
 * transfer (prompt x transferSPerToken). The endpoint with the least predicted TTFT wins; the TTFT
 * target decides admission, not the ranking.
 * Decode: predicted TPOT(d) = one decode step with the request added: base + perSeq x (requests
 * routed to d + 1) + perKvToken x (their prompt tokens + this prompt). TPOT headroom = target -
 * predicted; the largest headroom wins.
 * Pull mode (`mode: pull`): when no decode candidate has headroom, the request is held in the
 * router queue while some decode endpoint has work that will finish and its TTFT budget is not
 * spent (waited + best predicted TTFT < TTFT target); then it goes to the best pair anyway.
 * Push mode always returns the best pair.
 *
 * Sources: `profile` predicts from the per-GPU-type step-time profile alone; `live` (default)
 * corrects it per endpoint with what the gateway measures: a prefill endpoint's rate becomes its
 * measured prompt tokens per busy second (busy = some prompt routed to it has not finished), and
 * a decode endpoint's step time is scaled by the moving ratio of its scraped mean TPOT
 * (metrics.avgTpotS) to the profile's prediction at the snapshot's load.
 *
 * Options: ttftS (1), tpotS (0.05), source ('live'), mode ('push'), transferSPerToken (0),
 * profile ({ <gpuType>: SloPdProfile }; a simulator host fills it from its timing model).
 */
export function createSloPd(options: PolicyOptions = {}): PdRoutingPolicy {
  const P = 'slo-pd';
  const ttftS = numberOption(options, 'ttftS', 1, { min: 1e-6 }, P);
  const tpotS = numberOption(options, 'tpotS', 0.05, { min: 1e-6 }, P);
  const source = enumOption(options, 'source', ['live', 'profile'] as const, 'live', P);
  const mode = enumOption(options, 'mode', ['push', 'pull'] as const, 'push', P);
  const transferSPerToken = numberOption(options, 'transferSPerToken', 0, { min: 0 }, P);
  const profiles = parseProfiles(P, options.profile);
  const warned = new Set<string>();
  const prefills = new Map<number, PrefillState>();
  const decodes = new Map<number, DecodeState>();
  /** Requests whose prompt is in some prefill backlog (dispatched, prefill not done). */
  const inBacklog = new Set<number>();

  const profileOf = (e: EndpointView, ctx: RoutingContext): Required<SloPdProfile> => {
    const p = profiles.get(e.gpuType);
    if (p) return p;
    if (!warned.has(e.gpuType)) {
      warned.add(e.gpuType);
      ctx.warn(`${P}: no step-time profile for GPU type "${e.gpuType}"; using generic figures (option profile)`);
    }
    return GENERIC;
  };
  const prefillState = (e: EndpointView, now: number): PrefillState => {
    let s = prefills.get(e.index);
    if (!s) prefills.set(e.index, (s = { pending: 0, since: now, busyS: 0, doneTokens: 0 }));
    return s;
  };
  const accrue = (s: PrefillState, now: number) => {
    if (s.pending > 0) s.busyS += now - s.since;
    s.since = now;
  };
  const prefillRate = (e: EndpointView, ctx: RoutingContext): number => {
    const s = prefills.get(e.index);
    if (source === 'live' && s && s.doneTokens >= MIN_MEASURED_TOKENS && s.busyS > 0) return s.doneTokens / s.busyS;
    return profileOf(e, ctx).prefillTokensPerS;
  };
  const predictedTtft = (req: RequestView, e: EndpointView, ctx: RoutingContext): number => {
    const pending = prefills.get(e.index)?.pending ?? 0;
    return ctx.now() - req.arrival + (pending + req.promptTokens) / prefillRate(e, ctx) + req.promptTokens * transferSPerToken;
  };
  const step = (prof: Required<SloPdProfile>, seqs: number, kvTokens: number) =>
    prof.decodeBaseS + prof.decodePerSeqS * seqs + prof.decodePerKvTokenS * kvTokens;
  const correction = (e: EndpointView, ctx: RoutingContext): number => {
    if (source !== 'live') return 1;
    let s = decodes.get(e.index);
    if (!s) decodes.set(e.index, (s = { correction: 1, stamp: Number.NaN }));
    const m = e.metrics;
    if (m.updatedAt !== s.stamp && known(m.updatedAt) && m.avgTpotS > 0 && m.running > 0) {
      s.stamp = m.updatedAt;
      const predicted = step(profileOf(e, ctx), m.running, e.counters.inflightPromptTokens);
      s.correction += EWMA * (m.avgTpotS / predicted - s.correction);
    }
    return s.correction;
  };
  const predictedTpot = (req: RequestView, e: EndpointView, ctx: RoutingContext): number => {
    const c = e.counters;
    const seqs = (c.decodeRunning ?? 0) + (c.pendingDecode ?? 0) + 1;
    return step(profileOf(e, ctx), seqs, c.inflightPromptTokens + req.promptTokens) * correction(e, ctx);
  };

  return {
    name: P,
    selectPair(req, prefill, decode, ctx) {
      if (prefill.length === 0 || decode.length === 0) return undefined;
      let p: EndpointView | undefined;
      let bestTtft = Infinity;
      let ties = 0;
      for (const e of prefill) {
        const t = predictedTtft(req, e, ctx);
        if (t < bestTtft) {
          bestTtft = t;
          p = e;
          ties = 1;
        } else if (t === bestTtft && ctx.random() * ++ties < 1) p = e;
      }
      let d: EndpointView | undefined;
      let bestHeadroom = -Infinity;
      ties = 0;
      for (const e of decode) {
        const h = tpotS - predictedTpot(req, e, ctx);
        if (h > bestHeadroom) {
          bestHeadroom = h;
          d = e;
          ties = 1;
        } else if (h === bestHeadroom && ctx.random() * ++ties < 1) d = e;
      }
      if (!p || !d) return undefined;
      if (mode === 'pull' && bestHeadroom < 0 && bestTtft < ttftS && decode.some((e) => e.counters.inflight > 0)) {
        return undefined; // no TPOT headroom now, TTFT budget left: wait for a decode completion
      }
      return { prefill: p, decode: d };
    },
    onDispatch(req, prefill, _decode, ctx) {
      const s = prefillState(prefill, ctx.now());
      accrue(s, ctx.now());
      s.pending += req.promptTokens;
      inBacklog.add(req.id);
    },
    onPrefillDone(req, prefill, _decode, ctx) {
      const s = prefillState(prefill, ctx.now());
      accrue(s, ctx.now());
      s.pending -= req.promptTokens;
      s.doneTokens += req.promptTokens;
      inBacklog.delete(req.id);
    },
    onComplete(req, prefill, _decode, _info, ctx) {
      // A request that never reported its prefill done (aborted): its prompt leaves the backlog.
      if (!inBacklog.delete(req.id)) return;
      const s = prefillState(prefill, ctx.now());
      accrue(s, ctx.now());
      s.pending -= req.promptTokens;
    },
  };
}

/** Checks option `profile`: an object of GPU type -> SloPdProfile with positive numbers. */
function parseProfiles(P: string, raw: unknown): Map<string, Required<SloPdProfile>> {
  const out = new Map<string, Required<SloPdProfile>>();
  if (raw === undefined) return out;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new RoutingConfigError(`${P}: option "profile" must be an object of GPU type -> step-time profile`, undefined, 'profile');
  }
  const keys = Object.keys(GENERIC) as (keyof SloPdProfile)[];
  for (const [gpu, p] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof p !== 'object' || p === null || Array.isArray(p)) {
      throw new RoutingConfigError(`${P}: option "profile.${gpu}" must be an object (${keys.join(', ')})`, undefined, 'profile');
    }
    const prof = { ...GENERIC };
    for (const [k, v] of Object.entries(p as Record<string, unknown>)) {
      if (!(keys as string[]).includes(k)) {
        throw new RoutingConfigError(`${P}: option "profile.${gpu}.${k}" is unknown (known: ${keys.join(', ')})`, undefined, 'profile');
      }
      const min = k === 'prefillTokensPerS' ? Number.MIN_VALUE : 0;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
        throw new RoutingConfigError(`${P}: option "profile.${gpu}.${k}" must be a ${min > 0 ? 'positive' : 'non-negative'} number, got ${JSON.stringify(v)}`, undefined, 'profile');
      }
      prof[k as keyof SloPdProfile] = v;
    }
    out.set(gpu, prof);
  }
  return out;
}
