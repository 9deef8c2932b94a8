import type { LoadedExperiment } from '../experiment/index.js';
import { InputError } from '../input-error.js';
import { searchCapacity, type CapacitySearch } from './block-capacity.js';
import { decodeProbe, fleetConfig, prefillProbe, prefillsInFront, type ProbeBase } from './probe-configs.js';
import { createSimRunner, type SimRunner } from './sim-runner.js';
import type { SimOutcome } from './sim-task.js';
import type { SloTarget } from './slo-target.js';
import { totalRate } from './workload-rate.js';

export interface PdRatioOptions {
  /** Target request rate (default: the experiment's total rate). */
  rate?: number;
  /** Simulated seconds of arrivals per probe (default: the experiment's duration, at most 120). */
  duration?: number;
  /** Bisection stops when the bracket is narrower than this share of the rate. */
  precision?: number;
  /** Where the simulations run (default: this thread; the probes are sequential anyway). */
  runner?: SimRunner;
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
  check: { result: SimOutcome; ttftMs: number; tpotMs: number; meets: boolean };
  /** When the recommendation misses: the smallest xPyD (fewest instances, then fewest prefill) found that meets. */
  adjusted?: { prefill: number; decode: number; ttftMs: number; tpotMs: number };
}

/** Extra instances tried on top of the recommendation when it misses the SLOs. */
const MAX_EXTRA = 4;

/**
 * The ratio method for sizing a disaggregated fleet: the largest rate one prefill instance
 * sustains under the TTFT target (outputs cut to one token), the largest rate one decode instance
 * sustains under the TPOT target (with enough prefill in front of it), the implied P:D ratio, and
 * an end-to-end check of the xPyD that covers the target rate. "Sustains" means at least the
 * percentile's share of requests meets the target (so the percentile latency is within it), and
 * no request is rejected.
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
  const duration = opts.duration ?? Math.min(base.workload.duration ?? 120, 120);
  const prefillEntry = base.fleet[pIndex];
  const decodeEntry = base.fleet[dIndex];
  const ttftSlo: SloTarget = { metric: 'ttft', maxMs: ttft, attainment: percentile };
  const tpotSlo: SloTarget = { metric: 'tpot', maxMs: tpot, attainment: percentile };
  const probeBase: ProbeBase = {
    name: base.name,
    seed: base.seed,
    model: base.model,
    workload: { ...base.workload, duration, requests: undefined },
    pd: base.pd,
  };
  const runner = opts.runner ?? createSimRunner(0);
  const search: CapacitySearch = {
    runner,
    file: exp.file,
    baseDir: exp.baseDir,
    precision: opts.precision ?? 0.05,
    start: Math.max(0.25, target / 4),
    minRate: Math.max(0.25, target / 4) / 1024,
    percentiles: { ttft: percentile, tpot: percentile },
    accept: (o) => o.rejected === 0,
    onProbe: (label, rate, ok) => opts.onProbe?.(label === 'prefill' ? 'prefill' : 'decode', rate, ok),
  };
  try {
    const prefill = await searchCapacity(search, 'prefill', [ttftSlo], (rate) => prefillProbe(probeBase, prefillEntry, rate));
    if (prefill.rate === 0) throw new InputError(`one ${prefillEntry.gpu} cannot meet TTFT p${percentile} <= ${ttft} ms at any rate`);
    const decode = await searchCapacity(search, 'decode', [tpotSlo], (rate) =>
      decodeProbe(probeBase, prefillEntry, prefillsInFront(rate, prefill.rate), decodeEntry, base.router, rate),
    );
    if (decode.rate === 0) throw new InputError(`one ${decodeEntry.gpu} cannot meet TPOT p${percentile} <= ${tpot} ms at any rate`);

    const recommended = { prefill: Math.ceil(target / prefill.rate), decode: Math.ceil(target / decode.rate) };
    const check = async (x: number, y: number) => {
      const fleet = base.fleet.map((e, i) =>
        i === pIndex ? { ...e, count: x, roleset: undefined } : i === dIndex ? { ...e, count: y, roleset: undefined } : e,
      );
      const result = await runner.run({
        label: `check ${x}P${y}D`,
        config: fleetConfig(probeBase, fleet, base.router, target),
        file: exp.file,
        baseDir: exp.baseDir,
        slos: [ttftSlo, tpotSlo],
        percentiles: search.percentiles,
      });
      const meets = result.rejected === 0 && result.slos.every((s) => s.met);
      return { result, ttftMs: result.ttftMs, tpotMs: result.tpotMs, meets };
    };
    const first = await check(recommended.prefill, recommended.decode);
    let adjusted: PdRatioResult['adjusted'];
    for (let extra = 1; !first.meets && !adjusted && extra <= MAX_EXTRA; extra++) {
      for (let dx = extra; dx >= 0 && !adjusted; dx--) {
        const c = await check(recommended.prefill + dx, recommended.decode + extra - dx);
        if (c.meets) adjusted = { prefill: recommended.prefill + dx, decode: recommended.decode + extra - dx, ttftMs: c.ttftMs, tpotMs: c.tpotMs };
      }
    }
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
  } finally {
    if (!opts.runner) await runner.close();
  }
}

export function formatPdRatio(r: PdRatioResult): string {
  const f = (x: number, d = 2) => x.toFixed(d);
  const p = `p${r.percentile}`;
  return [
    `Target: ${f(r.targetRate)} req/s with ${p} TTFT <= ${r.ttftTargetMs} ms and ${p} TPOT <= ${r.tpotTargetMs} ms`,
    `One ${r.prefill.gpu} prefill instance sustains ${f(r.prefill.maxRate)} req/s under the TTFT target (${r.prefill.probes} simulations, outputs of 1 token)`,
    `One ${r.decode.gpu} decode instance sustains ${f(r.decode.maxRate)} req/s under the TPOT target (${r.decode.probes} simulations)`,
    `Implied P:D = ${f(r.ratio)} : 1  (prefill instances per decode instance)`,
    `The ratio sizes ${f(r.targetRate)} req/s as ${r.recommended.prefill}P${r.recommended.decode}D`,
    `End-to-end check of ${r.recommended.prefill}P${r.recommended.decode}D: ${p} TTFT ${f(r.check.ttftMs, 0)} ms, ${p} TPOT ${f(r.check.tpotMs, 1)} ms, ` +
      `attainment TTFT ${f(r.check.result.slos[0].attainment * 100, 1)}% / TPOT ${f(r.check.result.slos[1].attainment * 100, 1)}%, ` +
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
    // What to deploy is a fleet that passed its own end-to-end check, never one that failed it.
    ...(r.check.meets
      ? [`Recommended: ${r.recommended.prefill}P${r.recommended.decode}D (checked end to end)`]
      : r.adjusted
        ? [`Recommended: ${r.adjusted.prefill}P${r.adjusted.decode}D (checked end to end)`]
        : []),
  ].join('\n');
}
