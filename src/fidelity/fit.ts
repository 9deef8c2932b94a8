import { median } from 'd3-array';
import { runFidelity, type FidelityOptions, type FidelityReport } from './fidelity.js';
import { fitFrontendMs } from './fit-frontend.js';
import type { RealRun } from './real-run.js';

/** The physical constants fitted end to end: the engine's host time per step, and the front end. */
export interface FittedConstants {
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

/**
 * Sets every fleet entry's engine host time per step (engine.stepOverheadMs and
 * stepOverheadPerSeqUs) in a raw experiment, keeping its other engine settings.
 */
export function setHostStep(config: Record<string, unknown>, stepOverheadS: number, stepOverheadPerSeqS: number): void {
  for (const f of config.fleet as Record<string, unknown>[]) {
    const engine = f.engine;
    const settings = typeof engine === 'string' ? { kind: engine } : ((engine as Record<string, unknown> | undefined) ?? {});
    f.engine = { ...settings, stepOverheadMs: stepOverheadS * 1e3, stepOverheadPerSeqUs: stepOverheadPerSeqS * 1e6 };
  }
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
 * Grid search of the engine's host time per step (base and per-sequence term), with the
 * front-end latency fitted in closed form at every grid point.
 */
export async function fitConstants(
  runs: readonly RealRun[],
  opts: Pick<FidelityOptions, 'seeds' | 'experimentsDir' | 'only' | 'onProgress'> & { grid?: typeof DEFAULT_GRID },
): Promise<FittedConstants> {
  const grid = opts.grid ?? DEFAULT_GRID;
  const tried: FittedConstants['tried'] = [];
  for (const stepOverheadS of grid.stepOverheadS) {
    for (const stepOverheadPerSeqS of grid.stepOverheadPerSeqS) {
      const report = await runFidelity(runs, {
        seeds: opts.seeds,
        experimentsDir: opts.experimentsDir,
        only: opts.only,
        adjust: (config) => {
          setHostStep(config, stepOverheadS, stepOverheadPerSeqS);
          for (const f of config.fleet as Record<string, unknown>[]) f.frontend = { requestMs: 0, responseMs: 0 };
        },
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
  return { ...best, tried };
}
