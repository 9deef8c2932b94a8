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
/** KV tokens of output a decode endpoint should have room for beyond the prompt (PdGateway's default allowance). */
const DECODE_ALLOWANCE = 256;

interface PrefillState {
  /** Prompt tokens routed here whose prefill has not finished. */
  pending: number;
  /** Observed / predicted prefill time of its requests (live source). */
  correction: number;
}

interface DecodeState {
  /** Observed / predicted TPOT, from the last scraped snapshots (live source). */
  correction: number;
  stamp: number;
  /** Prompt tokens routed here for decode whose KV has not been reserved yet (prefill not done). */
  pendingKv: number;
}

/** A request between dispatch and prefill done. */
interface Backlogged {
  readonly at: number;
  /** Predicted prefill time (backlog + prompt over the profile rate) at dispatch. */
  readonly predicted: number;
}

/**
 * `slo-pd`: routesim's SLO-aware prefill/decode router (not a port; AIBrix's `pd` has no SLO
 * awareness and its `slo` ignores roles). Design in docs/pd.md.
 *
 * Prefill: predicted TTFT(p) = waited + (pending prompt tokens on p + prompt) / rate(p) + KV
 * transfer (prompt x transferSPerToken). The endpoint with the least predicted TTFT wins; the TTFT
 * target decides admission, not the ranking.
 * Decode: the candidates that can admit the request when its KV arrives, i.e. a free batch slot
 * (less the requests routed there still in prefill) and free KV (less their prompts) for the
 * prompt plus 256 tokens of output; if none can, those with the most free slots. Among them predicted TPOT(d) = one decode step with the request added: base + perSeq x
 * (requests routed to d + 1) + perKvToken x (their prompt tokens + this prompt). TPOT headroom =
 * target - predicted; the largest headroom wins.
 * Pull mode (`mode: pull`): when no decode candidate has headroom, the request is held in the
 * router queue while some decode endpoint has work that will finish and its TTFT budget is not
 * spent (waited + best predicted TTFT < TTFT target); then it goes to the best pair anyway.
 * Push mode always returns the best pair.
 *
 * Sources: `profile` predicts from the per-GPU-type step-time profile alone; `live` (default)
 * corrects it per endpoint with what the gateway observes: a prefill endpoint's predicted prefill
 * time is scaled by the moving ratio of observed (dispatch to prefill done) to predicted prefill
 * times of its requests, and a decode endpoint's step time by the moving ratio of its scraped mean
 * TPOT (metrics.avgTpotS) to the profile's prediction at the snapshot's load.
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
  const backlog = new Map<number, Backlogged>();

  const profileOf = (e: EndpointView, ctx: RoutingContext): Required<SloPdProfile> => {
    const p = profiles.get(e.gpuType);
    if (p) return p;
    if (!warned.has(e.gpuType)) {
      warned.add(e.gpuType);
      ctx.warn(`${P}: no step-time profile for GPU type "${e.gpuType}"; using generic figures (option profile)`);
    }
    return GENERIC;
  };
  const prefillState = (e: EndpointView): PrefillState => {
    let s = prefills.get(e.index);
    if (!s) prefills.set(e.index, (s = { pending: 0, correction: 1 }));
    return s;
  };
  const decodeState = (e: EndpointView): DecodeState => {
    let s = decodes.get(e.index);
    if (!s) decodes.set(e.index, (s = { correction: 1, stamp: Number.NaN, pendingKv: 0 }));
    return s;
  };
  /** Profile prefill time of the backlog plus the prompt on `e`, seconds. */
  const profilePrefill = (req: RequestView, e: EndpointView, ctx: RoutingContext): number =>
    ((prefills.get(e.index)?.pending ?? 0) + req.promptTokens) / profileOf(e, ctx).prefillTokensPerS;
  const predictedTtft = (req: RequestView, e: EndpointView, ctx: RoutingContext): number => {
    const corr = source === 'live' ? (prefills.get(e.index)?.correction ?? 1) : 1;
    return ctx.now() - req.arrival + corr * profilePrefill(req, e, ctx) + req.promptTokens * transferSPerToken;
  };
  const kvRoom = (e: EndpointView): number => e.capacity().freeKvTokens - (decodes.get(e.index)?.pendingKv ?? 0);
  /** Batch slots free on arrival: free now, less the requests routed there still in prefill. */
  const slotRoom = (e: EndpointView): number => e.capacity().freeSlots - (e.counters.pendingDecode ?? 0);
  const step = (prof: Required<SloPdProfile>, seqs: number, kvTokens: number) =>
    prof.decodeBaseS + prof.decodePerSeqS * seqs + prof.decodePerKvTokenS * kvTokens;
  const correction = (e: EndpointView, ctx: RoutingContext): number => {
    if (source !== 'live') return 1;
    const s = decodeState(e);
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
      // Decode candidates that can admit the request when its KV arrives: a batch slot and KV
      // room for the prompt and some output. If none can, those with the most free slots.
      let admissible = 0;
      let maxSlots = -Infinity;
      for (const e of decode) {
        const slots = slotRoom(e);
        if (slots >= 1 && kvRoom(e) >= req.promptTokens + DECODE_ALLOWANCE) admissible++;
        if (slots > maxSlots) maxSlots = slots;
      }
      let d: EndpointView | undefined;
      let bestHeadroom = -Infinity;
      ties = 0;
      for (const e of decode) {
        const fits = admissible > 0 ? slotRoom(e) >= 1 && kvRoom(e) >= req.promptTokens + DECODE_ALLOWANCE : slotRoom(e) === maxSlots;
        if (!fits) continue;
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
    onDispatch(req, prefill, decode, ctx) {
      const predicted = profilePrefill(req, prefill, ctx);
      prefillState(prefill).pending += req.promptTokens;
      decodeState(decode).pendingKv += req.promptTokens;
      backlog.set(req.id, { at: ctx.now(), predicted });
    },
    onPrefillDone(req, prefill, decode, ctx) {
      const b = backlog.get(req.id);
      if (!b) return;
      backlog.delete(req.id);
      const s = prefillState(prefill);
      s.pending -= req.promptTokens;
      decodeState(decode).pendingKv -= req.promptTokens;
      if (b.predicted > 0) s.correction += EWMA * ((ctx.now() - b.at) / b.predicted - s.correction);
    },
    onComplete(req, prefill, decode) {
      // A request that never reported its prefill done (aborted): its prompt leaves the backlogs.
      if (!backlog.delete(req.id)) return;
      prefillState(prefill).pending -= req.promptTokens;
      decodeState(decode).pendingKv -= req.promptTokens;
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
