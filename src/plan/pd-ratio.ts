import { runPoint, type ExperimentConfig, type LoadedExperiment, type PointResult } from '../experiment/index.js';
import { InputError } from '../input-error.js';
import { findMaxRate, type MaxRateResult } from './max-rate.js';
import { totalRate, withTotalRate } from './workload-rate.js';

export interface PdRatioOptions {
  /** Target request rate (default: the experiment's total rate). */
  rate?: number;
  /** Simulated seconds of arrivals per probe (default: the experiment's duration, at most 120). */
  duration?: number;
  /** Bisection stops when the bracket is narrower than this share of the rate. */
  precision?: number;
  onProbe?(stage: 'prefill' | 'decode', rate: number, ok: boolean): void;
}

export interface PdRatioResult {
  targetRate: number;
  percentile: number;
  ttftTargetMs: number;
  tpotTargetMs: number;
  prefill: { gpu: string; maxRate: number; probes: number };
  decode: { gpu: string; maxRate: number; probes: number };
  /** Prefill instances per decode instance implied by the two capacities. */
  ratio: number;
  recommended: { prefill: number; decode: number };
  check: { result: PointResult; ttftMs: number; tpotMs: number; meets: boolean };
  /** When the recommendation misses: the smallest xPyD (fewest instances, then fewest prefill) found that meets. */
  adjusted?: { prefill: number; decode: number; ttftMs: number; tpotMs: number };
}

/** Extra instances tried on top of the recommendation when it misses the SLOs. */
const MAX_EXTRA = 4;

/**
 * The ratio method for sizing a disaggregated fleet: the largest rate one prefill instance
 * sustains under the TTFT target (outputs cut to one token), the largest rate one decode instance
 * sustains under the TPOT target (with enough prefill in front of it), the implied P:D ratio, and
 * an end-to-end check of the xPyD that covers the target rate.
 */
export async function planPdRatio(exp: LoadedExperiment, opts: PdRatioOptions = {}): Promise<PdRatioResult> {
  const base = exp.points[0].config;
  const fail = (msg: string, path: PropertyKey[]) => new InputError(msg, exp.file, exp.where(path));
  const pIndex = base.fleet.findIndex((e) => e.role === 'prefill');
  const dIndex = base.fleet.findIndex((e) => e.role === 'decode');
  if (pIndex < 0 || dIndex < 0) throw fail('the ratio method needs a fleet with a prefill entry and a decode entry', ['fleet']);
  const ttft = base.slo?.ttftMs;
  const tpot = base.slo?.tpotMs;
  if (ttft === undefined || tpot === undefined) throw fail('the ratio method needs slo.ttftMs and slo.tpotMs', ['slo']);
  const baseRate = totalRate(base.workload);
  const target = opts.rate ?? baseRate;
  if (target === undefined) throw fail('the workload replays a trace; give --rate', ['workload']);
  const percentile = base.slo!.percentile;
  const key = percentile === 50 ? 'p50' : percentile === 90 ? 'p90' : percentile === 95 ? 'p95' : 'p99';
  const duration = opts.duration ?? Math.min(base.workload.duration ?? 120, 120);
  const prefillEntry = base.fleet[pIndex];
  const decodeEntry = base.fleet[dIndex];

  const run = (cfg: ExperimentConfig, label: string) =>
    runPoint(exp, { id: label, values: {}, config: cfg });
  const variant = (rate: number, fleet: ExperimentConfig['fleet'], router: ExperimentConfig['router'], outputOne = false): ExperimentConfig => {
    const workload = withTotalRate({ ...base.workload, duration, requests: undefined }, rate);
    if (outputOne) for (const s of workload.sources) s.maxOutputTokens = 1;
    return { ...base, fleet, router, workload, sweep: undefined };
  };

  // One prefill GPU as a plain instance, outputs of one token: TTFT is queueing + prefill.
  const prefill: MaxRateResult<PointResult> = await findMaxRate(
    async (rate) => {
      const cfg = variant(rate, [{ ...prefillEntry, count: 1, role: 'unified', roleset: undefined }], { ...base.router, policy: 'round-robin', mode: 'push' }, true);
      const r = await run(cfg, `prefill-${rate}`);
      const ok = r.rejected === 0 && r.metrics.ttft_ms[key] <= ttft;
      opts.onProbe?.('prefill', rate, ok);
      return { ok, result: r };
    },
    { start: Math.max(0.25, target / 4), relativePrecision: opts.precision ?? 0.05 },
  );
  if (prefill.rate === 0) throw new InputError(`one ${prefillEntry.gpu} cannot meet TTFT p${percentile} <= ${ttft} ms at any rate`);

  // One decode GPU behind enough prefill instances that prefill is never the limit.
  const decode = await findMaxRate(
    async (rate) => {
      const prefills = Math.ceil(rate / prefill.rate) + 1;
      const cfg = variant(rate, [
        { ...prefillEntry, count: prefills, roleset: undefined },
        { ...decodeEntry, count: 1, roleset: undefined },
      ], base.router);
      const r = await run(cfg, `decode-${rate}`);
      const ok = r.rejected === 0 && r.metrics.tpot_ms[key] <= tpot;
      opts.onProbe?.('decode', rate, ok);
      return { ok, result: r };
    },
    { start: Math.max(0.25, target / 4), relativePrecision: opts.precision ?? 0.05 },
  );
  if (decode.rate === 0) throw new InputError(`one ${decodeEntry.gpu} cannot meet TPOT p${percentile} <= ${tpot} ms at any rate`);

  const recommended = { prefill: Math.ceil(target / prefill.rate), decode: Math.ceil(target / decode.rate) };
  const fleet = base.fleet.map((e, i) =>
    i === pIndex ? { ...e, count: recommended.prefill, roleset: undefined } : i === dIndex ? { ...e, count: recommended.decode, roleset: undefined } : e,
  );
  const check = async (x: number, y: number) => {
    const fleet = base.fleet.map((e, i) =>
      i === pIndex ? { ...e, count: x, roleset: undefined } : i === dIndex ? { ...e, count: y, roleset: undefined } : e,
    );
    const result = await run(variant(target, fleet, base.router), `check-${x}P${y}D`);
    const ttftMs = result.metrics.ttft_ms[key];
    const tpotMs = result.metrics.tpot_ms[key];
    return { result, ttftMs, tpotMs, meets: result.rejected === 0 && ttftMs <= ttft && tpotMs <= tpot };
  };
  const first = await check(recommended.prefill, recommended.decode);
  let adjusted: PdRatioResult['adjusted'];
  for (let extra = 1; !first.meets && !adjusted && extra <= MAX_EXTRA; extra++) {
    for (let dx = extra; dx >= 0 && !adjusted; dx--) {
      const c = await check(recommended.prefill + dx, recommended.decode + extra - dx);
      if (c.meets) adjusted = { prefill: recommended.prefill + dx, decode: recommended.decode + extra - dx, ttftMs: c.ttftMs, tpotMs: c.tpotMs };
    }
  }
  const { result, ttftMs, tpotMs } = first;
  return {
    targetRate: target,
    percentile,
    ttftTargetMs: ttft,
    tpotTargetMs: tpot,
    prefill: { gpu: prefillEntry.gpu, maxRate: prefill.rate, probes: prefill.probes.length },
    decode: { gpu: decodeEntry.gpu, maxRate: decode.rate, probes: decode.probes.length },
    ratio: decode.rate / prefill.rate,
    recommended,
    check: first,
    adjusted,
  };
}

export function formatPdRatio(r: PdRatioResult): string {
  const f = (x: number, d = 2) => x.toFixed(d);
  const p = `p${r.percentile}`;
  return [
    `Target: ${f(r.targetRate)} req/s with ${p} TTFT <= ${r.ttftTargetMs} ms and ${p} TPOT <= ${r.tpotTargetMs} ms`,
    `One ${r.prefill.gpu} prefill instance sustains ${f(r.prefill.maxRate)} req/s under the TTFT target (${r.prefill.probes} simulations, outputs of 1 token)`,
    `One ${r.decode.gpu} decode instance sustains ${f(r.decode.maxRate)} req/s under the TPOT target (${r.decode.probes} simulations)`,
    `Implied P:D = ${f(r.ratio)} : 1  (prefill instances per decode instance)`,
    `Recommended for ${f(r.targetRate)} req/s: ${r.recommended.prefill}P${r.recommended.decode}D`,
    `End-to-end check of ${r.recommended.prefill}P${r.recommended.decode}D: ${p} TTFT ${f(r.check.ttftMs, 0)} ms, ${p} TPOT ${f(r.check.tpotMs, 1)} ms, ` +
      `SLO attainment ${r.check.result.metrics.slo_attainment === null ? '-' : f(r.check.result.metrics.slo_attainment * 100, 1) + '%'}, ` +
      `${r.check.result.rejected} rejected -> ${r.check.meets ? 'MEETS the SLOs' : 'does NOT meet the SLOs'}`,
    ...(r.check.meets
      ? []
      : r.adjusted
        ? [
            `Smallest fleet found that meets them: ${r.adjusted.prefill}P${r.adjusted.decode}D ` +
              `(${p} TTFT ${f(r.adjusted.ttftMs, 0)} ms, ${p} TPOT ${f(r.adjusted.tpotMs, 1)} ms): the capacities were measured at the SLO edge, ` +
              'so a fleet sized exactly to them runs without headroom',
          ]
        : [`No fleet with up to ${MAX_EXTRA} extra instances meets them.`]),
  ].join('\n');
}
