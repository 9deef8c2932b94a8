import { median } from 'd3-array';
import { loadGpuCatalog, type GpuCatalog, type GpuSpec } from '../hardware/index.js';
import { InputError } from '../input-error.js';
import { runFidelity, type FidelityOptions, type FidelityReport } from './fidelity.js';
import { fitFrontendMs } from './fit-frontend.js';
import type { RealRun } from './real-run.js';

/** The physical constants fitted end to end: per-step host overhead of one GPU type, and the front end. */
export interface FittedConstants {
  gpu: string;
  stepOverheadS: number;
  stepOverheadPerSeqS: number;
  /** Request + response path, ms. */
  frontendMs: number;
  /** The fit's objective at these constants (lower is better). */
  objective: number;
  /** Every grid point tried, for the record. */
  tried: { stepOverheadS: number; stepOverheadPerSeqS: number; frontendMs: number; objective: number }[];
}

/** The grid searched by default: per-step base (s) and per-sequence term (s). */
export const DEFAULT_GRID = {
  stepOverheadS: [0, 0.25e-3, 0.5e-3, 1e-3, 1.5e-3],
  stepOverheadPerSeqS: [0, 2.5e-6, 5e-6, 10e-6, 20e-6],
};

/** The shipped catalog with one GPU's step-overhead constants replaced. */
export function withStepOverhead(base: GpuCatalog, gpu: string, stepOverheadS: number, stepOverheadPerSeqS: number): GpuCatalog {
  const target = base.get(gpu);
  if (!target.efficiency) throw new InputError(`${target.name} has no efficiency entry to fit step overhead in`);
  const replaced: GpuSpec = { ...target, efficiency: { ...target.efficiency, stepOverheadS, stepOverheadPerSeqS } };
  return {
    get: (name) => {
      const g = base.get(name);
      return g.name === target.name ? replaced : g;
    },
    has: (name) => base.has(name),
    names: () => base.names(),
  };
}

/**
 * Objective of a report simulated without front-end latency, once the fitted front end F is
 * added: median APE of TPOT mean + median APE of E2E mean + median APE of TTFT mean, over the
 * runs (the medians the targets are stated in; robust to the few runs the model cannot express).
 */
export function objective(report: FidelityReport, frontendMs: number): number {
  const ape = (pick: (s: FidelityReport['runs'][number]['scopes'][number]) => number | undefined) =>
    median(report.runs.filter((r) => !r.skipped).map((r) => Math.abs(pick(r.scopes[0]) ?? NaN)).filter(Number.isFinite)) ?? 0;
  const shifted = (key: 'ttftMean' | 'e2eMean') => (s: FidelityReport['runs'][number]['scopes'][number]) => {
    const m = s.measured[key];
    const x = s.simulated[key];
    return m === undefined || x === undefined ? undefined : (x + frontendMs - m) / m;
  };
  return ape((s) => s.error.tpotMean) + ape(shifted('e2eMean')) + ape(shifted('ttftMean'));
}

/**
 * Grid search of the per-step overhead (base and per-sequence term) of the runs' GPU, with the
 * front-end latency fitted in closed form at every grid point. All runs must share one GPU type.
 */
export async function fitConstants(
  runs: readonly RealRun[],
  opts: Pick<FidelityOptions, 'seeds' | 'experimentsDir' | 'only' | 'onProgress'> & { grid?: typeof DEFAULT_GRID },
): Promise<FittedConstants> {
  const gpus = [...new Set(runs.filter((r) => !opts.only || opts.only.includes(r.id)).map((r) => r.gpu))];
  if (gpus.length !== 1) throw new InputError(`the fit needs runs of one GPU type, got ${gpus.join(', ')}`);
  const catalog = loadGpuCatalog();
  const gpu = catalog.get(gpus[0]).name;
  const grid = opts.grid ?? DEFAULT_GRID;
  const noFrontend = (config: Record<string, unknown>) => {
    for (const f of config.fleet as Record<string, unknown>[]) f.frontend = { requestMs: 0, responseMs: 0 };
  };
  const tried: FittedConstants['tried'] = [];
  for (const stepOverheadS of grid.stepOverheadS) {
    for (const stepOverheadPerSeqS of grid.stepOverheadPerSeqS) {
      const report = await runFidelity(runs, {
        seeds: opts.seeds,
        experimentsDir: opts.experimentsDir,
        only: opts.only,
        gpus: withStepOverhead(catalog, gpu, stepOverheadS, stepOverheadPerSeqS),
        adjust: noFrontend,
      });
      const frontendMs = fitFrontendMs(report);
      const point = { stepOverheadS, stepOverheadPerSeqS, frontendMs, objective: objective(report, frontendMs) };
      tried.push(point);
      opts.onProgress?.(
        `base ${(stepOverheadS * 1e3).toFixed(2)} ms, per sequence ${(stepOverheadPerSeqS * 1e6).toFixed(0)} us: front end ${frontendMs.toFixed(2)} ms, objective ${point.objective.toFixed(4)}`,
      );
    }
  }
  const best = tried.reduce((a, b) => (b.objective < a.objective ? b : a));
  return { gpu, ...best, tried };
}
