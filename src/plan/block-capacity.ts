import type { ExperimentConfig } from '../experiment/index.js';
import { findMaxRate, type MaxRateResult } from './max-rate.js';
import type { SimRunner } from './sim-runner.js';
import type { SimShare } from './sim-share.js';
import { meetsAll, type SimOutcome, type SimTask } from './sim-task.js';
import type { SloTarget } from './slo-target.js';

/** How a capacity search runs its probes. */
export interface CapacitySearch {
  runner: SimRunner;
  file: string;
  baseDir: string;
  /** Bisection stops when the bracket [pass, fail] is narrower than this share of the pass rate. */
  precision: number;
  /** First rate tried (default 1 req/s), and the bracketing factor (default 2). */
  start?: number;
  step?: number;
  /** Below this a block "cannot sustain any rate" (default start / 32). */
  minRate?: number;
  maxRate?: number;
  percentiles: { ttft: number; tpot: number };
  /** Extra condition on a passing probe (pd-ratio also asks for no rejection). */
  accept?(o: SimOutcome): boolean;
  onProbe?(label: string, rate: number, ok: boolean): void;
  /** Sharded or resumable plans: each search is one unit of work, its simulations kept in a store. */
  units?: SimShare;
}

/**
 * The largest rate at which the configuration `build(rate)` meets every target in `slos`, by
 * bracketing then bisection on rate (findMaxRate): within `precision` of the true edge, provided
 * that meeting the targets is monotone in rate.
 */
export function searchCapacity(
  s: CapacitySearch,
  label: string,
  slos: SloTarget[],
  build: (rate: number) => ExperimentConfig,
): Promise<MaxRateResult<SimOutcome>> {
  const start = s.start ?? 1;
  // Taken when the search is created, in the plan's order: the unit numbering every shard shares.
  const runner = s.units ? s.units.unit() : s.runner;
  return findMaxRate(
    async (rate) => {
      const task: SimTask = {
        label: `${label} @ ${rate.toPrecision(4)} req/s`,
        config: build(rate),
        file: s.file,
        baseDir: s.baseDir,
        slos,
        percentiles: s.percentiles,
      };
      const result = await runner.run(task);
      const ok = meetsAll(result) && (s.accept?.(result) ?? true);
      s.onProbe?.(label, rate, ok);
      return { ok, result };
    },
    { start, step: s.step, relativePrecision: s.precision, minRate: s.minRate ?? start / 32, maxRate: s.maxRate },
  );
}

/**
 * The targets a block is held to. A prefill block answers for TTFT (its outputs are one token).
 * A decode block answers for TPOT and also for TTFT: a saturated decode instance keeps its pace
 * (admission caps its batch) and makes arrivals wait for a slot or for KV instead, which the
 * client sees as time to first token. A whole instance answers for all.
 */
export function targetsFor(kind: 'unified' | 'prefill' | 'decode', slos: readonly SloTarget[]): SloTarget[] {
  if (kind === 'prefill') return slos.filter((t) => t.metric === 'ttft');
  return [...slos];
}
