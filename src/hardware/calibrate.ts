/**
 * Fits the roofline's efficiency factors (MFU, MBU, elementwise MBU, per-layer overhead, matmul
 * tile) to Vidur's measured per-layer non-attention times, and reports the per-point error.
 * The fit minimises the weighted mean squared log error over all points of one GPU (every model
 * and TP degree together, 1..maxTokens tokens): one set of factors per GPU, not per model.
 * Vidur samples tokens densely at large counts (every 8-32 tokens) and sparsely at small ones
 * (1, 2, 4, 8, 16), so unweighted the prefill-sized batches would outvote decode-sized ones;
 * each point is weighted by its share of the log-token axis instead, so every doubling of the
 * batch counts the same.
 */
import { resolveEfficiency, type LayerEfficiency } from './efficiency.js';
import { loadGpuCatalog, type GpuCatalog } from './gpu-catalog.js';
import { layerCost, layerSeconds } from './layer-cost.js';
import { loadModelCatalog, type ModelCatalog } from './model-catalog.js';
import { nelderMead } from './nelder-mead.js';
import type { GpuSpec, RooflineEfficiency } from './types.js';
import { listVidurProfiles, readVidurProfile, type CalibrationRow } from './vidur-profile.js';

/** Vidur device names mapped to catalog GPUs (Vidur profiled 80 GB A100s, SXM H100s and A40s). */
export const VIDUR_DEVICES: Record<string, string> = { a100: 'A100-80GB', h100: 'H100-SXM', a40: 'A40' };
/** Vidur model directories mapped to catalog models. */
export const VIDUR_MODELS: Record<string, string> = { 'Llama-2-7b-hf': 'Llama-2-7B', 'Meta-Llama-3-8B': 'Llama-3-8B' };

export const TILE_CANDIDATES = [1, 16, 32, 64, 128];
export const DEFAULT_MAX_TOKENS = 4096;
export const SMALL_BATCH_TOKENS = 64;

export interface CalibrationPoint {
  model: string;
  tp: number;
  tokens: number;
  /** Non-attention forward time of the whole model (per-layer time x layers), ms. */
  measuredMs: number;
  modelMs: number;
  /** (model - measured) / measured, percent. */
  errorPct: number;
}

export interface ErrorSummary {
  points: number;
  medianAbsPct: number;
  p95AbsPct: number;
  /** Signed error of the worst point, percent. */
  worstPct: number;
  worstAt: { model: string; tp: number; tokens: number };
  /** Fraction of points within 15%. */
  within15: number;
}

export interface GpuCalibration {
  gpu: string;
  device: string;
  efficiency: RooflineEfficiency;
  overall: ErrorSummary;
  /** Points of at most SMALL_BATCH_TOKENS tokens: decode-sized steps. */
  smallBatch: ErrorSummary;
  byModel: { model: string; summary: ErrorSummary }[];
  byModelTp: { model: string; tp: number; summary: ErrorSummary }[];
  points: CalibrationPoint[];
  /** The same fit with max(compute, memory) instead of the smooth combination, for comparison. */
  maxCombination: ErrorSummary;
  /** The factors currently in the catalog, scored on the same points. */
  catalog?: { efficiency: RooflineEfficiency; overall: ErrorSummary };
}

export interface CalibrationReport {
  dir: string;
  maxTokens: number;
  gpus: GpuCalibration[];
  /** Profiles that were not used, with the reason. */
  skipped: string[];
}

export interface CalibrateOptions {
  gpus?: GpuCatalog;
  models?: ModelCatalog;
  maxTokens?: number;
}

export function calibrateAgainstVidur(dir: string, opts: CalibrateOptions = {}): CalibrationReport {
  const gpus = opts.gpus ?? loadGpuCatalog();
  const models = opts.models ?? loadModelCatalog();
  const maxTokens = opts.maxTokens ?? DEFAULT_MAX_TOKENS;
  const skipped: string[] = [];
  const byDevice = new Map<string, CalibrationRow[]>();
  for (const p of listVidurProfiles(dir)) {
    if (!VIDUR_DEVICES[p.device]) {
      skipped.push(`${p.file}: device "${p.device}" has no catalog GPU`);
      continue;
    }
    const rows = readVidurProfile(p.file, p.model).filter((r) => r.tokens <= maxTokens);
    byDevice.set(p.device, [...(byDevice.get(p.device) ?? []), ...rows]);
  }
  const layersOf = (vidurModel: string): number => {
    const name = VIDUR_MODELS[vidurModel];
    return name && models.has(name) ? models.get(name).layers : 1;
  };
  const results: GpuCalibration[] = [];
  for (const [device, rows] of byDevice) {
    const gpu = gpus.get(VIDUR_DEVICES[device]);
    results.push({ ...calibrateGpu(rows, gpu, layersOf, device), device });
  }
  return { dir, maxTokens, gpus: results, skipped };
}

/**
 * The pure fitting step: factors for `gpu` from measured rows (no files involved). `layersOf`
 * scales per-layer times to whole-model times in the points; errors do not depend on it.
 */
export function calibrateGpu(
  rows: CalibrationRow[],
  gpu: GpuSpec,
  layersOf: (model: string) => number = () => 1,
  device?: string,
): Omit<GpuCalibration, 'device'> {
  const efficiency = fitEfficiency(rows, gpu, 'smooth', device);
  const points = evaluate(rows, gpu, resolveEfficiency({ ...gpu, efficiency }), 'smooth', layersOf);
  const maxFit = fitEfficiency(rows, gpu, 'max');
  const maxPoints = evaluate(rows, gpu, resolveEfficiency({ ...gpu, efficiency: maxFit }), 'max', layersOf);
  const models = [...new Set(points.map((p) => p.model))];
  const result: Omit<GpuCalibration, 'device'> = {
    gpu: gpu.name,
    efficiency,
    overall: summarize(points),
    smallBatch: summarize(points.filter((p) => p.tokens <= SMALL_BATCH_TOKENS)),
    byModel: models.map((model) => ({ model, summary: summarize(points.filter((p) => p.model === model)) })),
    byModelTp: models.flatMap((model) =>
      [...new Set(points.filter((p) => p.model === model).map((p) => p.tp))].map((tp) => ({
        model,
        tp,
        summary: summarize(points.filter((p) => p.model === model && p.tp === tp)),
      })),
    ),
    points,
    maxCombination: summarize(maxPoints),
  };
  if (gpu.efficiency) {
    const current = evaluate(rows, gpu, resolveEfficiency(gpu), 'smooth', layersOf);
    result.catalog = { efficiency: gpu.efficiency, overall: summarize(current) };
  }
  return result;
}

type Combine = 'smooth' | 'max';

/** Best factors for each tile candidate; the tile with the lowest loss wins. Values are rounded as written to YAML. */
export function fitEfficiency(
  rows: CalibrationRow[],
  gpu: GpuSpec,
  combine: Combine = 'smooth',
  device?: string,
): RooflineEfficiency {
  const weights = logTokenWeights(rows);
  let best: { loss: number; eff: RooflineEfficiency } | undefined;
  for (const tile of TILE_CANDIDATES) {
    const toEff = (x: number[]): LayerEfficiency => ({
      mfu: Math.exp(x[0]),
      mbu: Math.exp(x[1]),
      elementwiseMbu: Math.exp(x[2]),
      layerOverheadS: Math.exp(x[3]),
      gemmTileTokens: tile,
      source: '',
    });
    const loss = (x: number[]): number => {
      // Efficiencies above 1 are not physical: steer the search away from them.
      const penalty = x.slice(0, 3).reduce((s, v) => s + Math.max(0, v) * 100, 0);
      return weightedSquaredLogError(rows, weights, gpu, toEff(x), combine) + penalty;
    };
    let x = [Math.log(0.7), Math.log(0.8), Math.log(0.5), Math.log(30e-6)];
    for (let restart = 0; restart < 3; restart++) x = nelderMead(loss, x, { step: 0.2 }).x;
    const eff = roundEfficiency(toEff(x));
    const value = weightedSquaredLogError(rows, weights, gpu, resolveEfficiency({ ...gpu, efficiency: eff }), combine);
    if (!best || value < best.loss) best = { loss: value, eff };
  }
  const models = [...new Set(rows.map((r) => r.model))].join(', ');
  const source = `calibrated against vidur_profiling (${device ? `${device}; ` : ''}${models}; tp ${[...new Set(rows.map((r) => r.tp))].join('/')}; 1-${Math.max(...rows.map((r) => r.tokens))} tokens)`;
  return { ...best!.eff, source };
}

function roundEfficiency(e: LayerEfficiency): RooflineEfficiency {
  const r3 = (v: number): number => Math.round(v * 1000) / 1000;
  return {
    mfu: r3(e.mfu),
    mbu: r3(e.mbu),
    elementwiseMbu: r3(e.elementwiseMbu),
    layerOverheadS: Math.round(e.layerOverheadS * 1e7) / 1e7,
    gemmTileTokens: e.gemmTileTokens,
    source: e.source,
  };
}

function predictLayer(row: CalibrationRow, gpu: GpuSpec, eff: LayerEfficiency, combine: Combine): number {
  const c = layerCost(row.dims, row.tp, gpu, eff);
  if (combine === 'smooth') return layerSeconds(c, row.tokens);
  const rounded = c.tile > 1 ? Math.ceil(row.tokens / c.tile) * c.tile : row.tokens;
  return Math.max(rounded * c.computePerToken, c.weightStream) + row.tokens * c.elementwisePerToken + c.overhead;
}

function weightedSquaredLogError(
  rows: CalibrationRow[],
  weights: Float64Array,
  gpu: GpuSpec,
  eff: LayerEfficiency,
  combine: Combine,
): number {
  let sum = 0;
  for (let i = 0; i < rows.length; i++) {
    const e = Math.log(predictLayer(rows[i], gpu, eff, combine) / rows[i].measuredS);
    sum += weights[i] * e * e;
  }
  return sum;
}

/**
 * Weight of each row: the width of its cell on the log-token axis within its (model, tp)
 * series (cells end halfway to the neighbours; the end cells mirror their inner half), with
 * every series summing to the same total. Weights sum to 1.
 */
export function logTokenWeights(rows: CalibrationRow[]): Float64Array {
  const weights = new Float64Array(rows.length);
  const series = new Map<string, number[]>();
  rows.forEach((r, i) => {
    const key = `${r.model}|${r.tp}`;
    const list = series.get(key);
    if (list) list.push(i);
    else series.set(key, [i]);
  });
  for (const indices of series.values()) {
    indices.sort((a, b) => rows[a].tokens - rows[b].tokens);
    const logs = indices.map((i) => Math.log(rows[i].tokens));
    const n = logs.length;
    const cells = logs.map((_, k) => {
      if (n === 1) return 1;
      const left = k > 0 ? (logs[k] - logs[k - 1]) / 2 : (logs[1] - logs[0]) / 2;
      const right = k < n - 1 ? (logs[k + 1] - logs[k]) / 2 : (logs[n - 1] - logs[n - 2]) / 2;
      return left + right;
    });
    const total = cells.reduce((s, c) => s + c, 0);
    indices.forEach((i, k) => {
      weights[i] = total > 0 ? cells[k] / total / series.size : 1 / n / series.size;
    });
  }
  return weights;
}

function evaluate(
  rows: CalibrationRow[],
  gpu: GpuSpec,
  eff: LayerEfficiency,
  combine: Combine,
  layersOf: (model: string) => number,
): CalibrationPoint[] {
  return rows.map((r) => {
    const layers = layersOf(r.model);
    const modelS = predictLayer(r, gpu, eff, combine);
    return {
      model: VIDUR_MODELS[r.model] ?? r.model,
      tp: r.tp,
      tokens: r.tokens,
      measuredMs: r.measuredS * layers * 1000,
      modelMs: modelS * layers * 1000,
      errorPct: (modelS / r.measuredS - 1) * 100,
    };
  });
}

export function summarize(points: CalibrationPoint[]): ErrorSummary {
  const abs = points.map((p) => Math.abs(p.errorPct)).sort((a, b) => a - b);
  const quantile = (q: number): number => {
    const pos = (abs.length - 1) * q;
    const lo = Math.floor(pos);
    const hi = Math.min(abs.length - 1, lo + 1);
    return abs[lo] + (pos - lo) * (abs[hi] - abs[lo]);
  };
  let worst = points[0];
  for (const p of points) if (Math.abs(p.errorPct) > Math.abs(worst.errorPct)) worst = p;
  return {
    points: points.length,
    medianAbsPct: quantile(0.5),
    p95AbsPct: quantile(0.95),
    worstPct: worst.errorPct,
    worstAt: { model: worst.model, tp: worst.tp, tokens: worst.tokens },
    within15: points.filter((p) => Math.abs(p.errorPct) <= 15).length / points.length,
  };
}
