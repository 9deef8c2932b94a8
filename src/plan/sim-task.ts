import { runPoint, type ExperimentConfig, type LoadedExperiment } from '../experiment/index.js';
import { InputError } from '../input-error.js';
import type { SloMeasure, SloTarget } from './slo-target.js';

/**
 * One simulation a plan asks for: a complete experiment configuration (one point, no sweep) and
 * the SLO targets to measure it against. Plain data, so it crosses to a worker thread as is.
 */
export interface SimTask {
  /** Names the simulation in errors ("prefill H800 @ 12.5 req/s"). */
  label: string;
  config: ExperimentConfig;
  /** The plan or experiment file, for messages, and the directory its relative paths resolve against. */
  file: string;
  baseDir: string;
  slos: SloTarget[];
  /** Percentiles at which TTFT and TPOT are reported whatever the targets (e.g. 99). */
  percentiles: { ttft: number; tpot: number };
}

/** What a simulation measured: small, so results cost nothing to send between threads. */
export interface SimOutcome {
  label: string;
  completed: number;
  rejected: number;
  costPerHour: number;
  throughputRps: number;
  /** One per task target, in order. */
  slos: SloMeasure[];
  ttftMs: number;
  tpotMs: number;
  error?: string;
  /** The error is bad input (the user's to fix), not a bug. */
  inputError?: boolean;
}

/** Whether every target of the task was met. */
export function meetsAll(o: SimOutcome): boolean {
  return o.slos.every((s) => s.met);
}

/**
 * Runs a task to completion on this thread and never throws: an error comes back in the outcome.
 * Per-request latencies are kept (two numbers a request) so that any percentile and any class
 * filter can be measured exactly, not read off the summary's fixed percentiles.
 */
export async function executeSimTask(task: SimTask): Promise<SimOutcome> {
  const exp: LoadedExperiment = {
    file: task.file,
    baseDir: task.baseDir,
    name: task.config.name,
    base: task.config,
    points: [],
    where: (path) => path.map(String).join('.'),
  };
  const ttft: number[] = [];
  const tpot: number[] = [];
  const cls: string[] = [];
  try {
    const r = await runPoint(
      exp,
      { id: task.label, values: {}, config: task.config },
      {
        onOutcome(o) {
          cls.push(o.className);
          if (o.rejection) {
            // Rejected: no first token, ever.
            ttft.push(Infinity);
            tpot.push(Infinity);
            return;
          }
          const first = o.firstToken - o.arrival;
          ttft.push(first);
          tpot.push(o.outputTokens > 1 ? (o.finished - o.arrival - first) / (o.outputTokens - 1) : NaN);
        },
      },
    );
    const slos = task.slos.map((s) => measure(s, s.metric === 'ttft' ? ttft : tpot, cls));
    return {
      label: task.label,
      completed: r.completed,
      rejected: r.rejected,
      costPerHour: r.cost_per_hour,
      throughputRps: r.metrics.throughput_rps,
      slos,
      ttftMs: percentileMs(ttft, task.percentiles.ttft),
      tpotMs: percentileMs(tpot, task.percentiles.tpot),
    };
  } catch (err) {
    return {
      label: task.label,
      completed: 0,
      rejected: 0,
      costPerHour: 0,
      throughputRps: 0,
      slos: [],
      ttftMs: NaN,
      tpotMs: NaN,
      error: err instanceof InputError ? err.format() : err instanceof Error ? (err.stack ?? err.message) : String(err),
      inputError: err instanceof InputError,
    };
  }
}

/**
 * Share of requests meeting the bound (TPOT of a one-token output is undefined and meets it, as
 * in the run summary's attainment), and the latency at the target's percentile.
 */
function measure(s: SloTarget, values: number[], cls: string[]): SloMeasure {
  const bound = s.maxMs / 1000;
  let counted = 0;
  let met = 0;
  const defined: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (s.class !== undefined && cls[i] !== s.class) continue;
    counted++;
    const v = values[i];
    if (Number.isNaN(v) || v <= bound) met++;
    if (!Number.isNaN(v)) defined.push(v);
  }
  const attainment = counted > 0 ? met / counted : 0;
  return {
    attainment,
    pMs: quantileMs(defined, s.attainment),
    // A run with no request of the class measured nothing, and proves nothing.
    met: counted > 0 && attainment * 100 >= s.attainment - 1e-9,
  };
}

function percentileMs(values: number[], p: number): number {
  return quantileMs(
    values.filter((v) => !Number.isNaN(v)),
    p,
  );
}

/** Linear interpolation between order statistics (d3's rule); Infinity (a rejection) stays Infinity. */
function quantileMs(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  values.sort((a, b) => a - b);
  const at = (values.length - 1) * (p / 100);
  const lo = values[Math.floor(at)];
  const hi = values[Math.ceil(at)];
  if (hi === Infinity) return at === Math.floor(at) && lo !== Infinity ? lo * 1000 : Infinity;
  return (lo + (hi - lo) * (at - Math.floor(at))) * 1000;
}
