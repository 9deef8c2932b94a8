import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { calibrateAgainstVidur, calibrateGpu, formatCalibrationReport, loadGpuCatalog, type GpuSpec } from '../../src/hardware/index.js';
import { fitEfficiency, logTokenWeights } from '../../src/hardware/calibrate.js';
import { resolveEfficiency } from '../../src/hardware/efficiency.js';
import { denseLayerShape, layerCost, layerSeconds } from '../../src/hardware/layer-cost.js';
import { VIDUR_LAYER_OPS, type CalibrationRow } from '../../src/hardware/vidur-profile.js';
import { InputError } from '../../src/input-error.js';

const dims = denseLayerShape({ hidden: 4096, qDim: 4096, kvDim: 1024, intermediate: 14336, dtypeBytes: 2 });
const TOKENS = [1, 2, 4, 8, 16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096];

const truth = {
  mfu: 0.62,
  mbu: 0.83,
  elementwiseMbu: 0.41,
  layerOverheadS: 3.1e-5,
  gemmTileTokens: 64,
  stepOverheadS: 0,
  source: 'truth',
};

const gpu: GpuSpec = {
  name: 'Synthetic',
  bf16Tflops: 300,
  memoryGB: 80,
  memoryBandwidthGBs: 2000,
  interconnect: { kind: 'nvlink', bandwidthGBs: 300 },
  costPerHour: 1,
};

/** Rows a GPU with the `truth` factors would produce, for two TP degrees. */
function syntheticRows(noise = 0): CalibrationRow[] {
  const eff = resolveEfficiency({ ...gpu, efficiency: truth });
  return [1, 4].flatMap((tp) =>
    TOKENS.map((tokens, i) => ({
      model: 'Synthetic-8B',
      dims,
      tp,
      tokens,
      // deterministic +-noise pattern
      measuredS: layerSeconds(layerCost(dims, tp, gpu, eff), tokens) * (1 + (i % 2 === 0 ? noise : -noise)),
    })),
  );
}

describe('fitting efficiency factors', () => {
  it('recovers the factors that generated the rows', () => {
    const fit = fitEfficiency(syntheticRows(), gpu);
    expect(fit.gemmTileTokens).toBe(64);
    expect(fit.mfu).toBeCloseTo(truth.mfu, 2);
    expect(fit.mbu).toBeCloseTo(truth.mbu, 2);
    expect(fit.elementwiseMbu!).toBeCloseTo(truth.elementwiseMbu, 1);
    expect(fit.layerOverheadS! * 1e6).toBeCloseTo(truth.layerOverheadS * 1e6, 0);
    expect(fit.source).toMatch(/^calibrated against vidur_profiling/);
  });

  it('reports per-point errors near zero on exact rows and near the noise on noisy rows', () => {
    const exact = calibrateGpu(syntheticRows(), gpu, () => 32);
    expect(exact.overall.medianAbsPct).toBeLessThan(0.5);
    expect(exact.points).toHaveLength(2 * TOKENS.length);
    const p = exact.points.find((q) => q.tokens === 1 && q.tp === 1)!;
    expect(p.measuredMs).toBeGreaterThan(0);
    expect(Math.abs(p.modelMs / p.measuredMs - 1)).toBeLessThan(0.01);

    const noisy = calibrateGpu(syntheticRows(0.05), gpu);
    expect(noisy.overall.medianAbsPct).toBeGreaterThan(3);
    expect(noisy.overall.medianAbsPct).toBeLessThan(7);
    expect(noisy.overall.within15).toBe(1);
  });

  it('weights every doubling of the token axis equally within each series', () => {
    const rows = syntheticRows();
    const w = logTokenWeights(rows);
    expect(w.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    const idx = (tokens: number): number => rows.findIndex((r) => r.tp === 1 && r.tokens === tokens);
    // 1->2 spans a doubling; 3072->4096 spans less than half of one
    expect(w[idx(1)]).toBeGreaterThan(w[idx(4096)]);
  });
});

/** Writes a Vidur-style mlp.csv whose op times add up to `perLayerMs(tp, tokens)`. */
function writeVidurCsv(file: string, perLayerMs: (tp: number, tokens: number) => number): void {
  const opCols = VIDUR_LAYER_OPS.map((op) => `time_stats.${op}.median`);
  const header = [...opCols, 'n_head', 'n_kv_head', 'n_embd', 'n_expanded_embd', 'num_tokens', 'num_tensor_parallel_workers'];
  const lines = [header.join(',')];
  for (const tp of [1, 2]) {
    for (const tokens of TOKENS) {
      const total = perLayerMs(tp, tokens);
      const ops = VIDUR_LAYER_OPS.map(() => total / VIDUR_LAYER_OPS.length);
      lines.push([...ops, 32, 8, 4096, 14336, tokens, tp].join(','));
    }
  }
  // repeated measurements of one point are averaged by the reader: (1 + 1.5 + 0.5) / 3 = 1
  for (const scale of [1.5, 0.5]) {
    const total = perLayerMs(1, 4096) * scale;
    lines.push([...VIDUR_LAYER_OPS.map(() => total / VIDUR_LAYER_OPS.length), 32, 8, 4096, 14336, 4096, 1].join(','));
  }
  // beyond maxTokens: dropped
  lines.push([...VIDUR_LAYER_OPS.map(() => 1), 32, 8, 4096, 14336, 8192, 1].join(','));
  writeFileSync(file, lines.join('\n') + '\n');
}

describe('calibrateAgainstVidur', () => {
  it('reads a directory of profiles, maps devices to catalog GPUs and formats a report', () => {
    const dir = mkdtempSync(join(tmpdir(), 'routesim-vidur-'));
    const a100 = loadGpuCatalog().get('A100-80GB');
    const eff = resolveEfficiency({ ...a100, efficiency: truth });
    writeVidurCsv(join(dir, 'a100_Meta-Llama-3-8B_mlp.csv'), (tp, tokens) => layerSeconds(layerCost(dims, tp, a100, eff), tokens) * 1000);
    // A device the catalog has no GPU for (the A40 has one since it is calibrated too).
    writeVidurCsv(join(dir, 'v100_Meta-Llama-3-8B_mlp.csv'), () => 1);
    const report = calibrateAgainstVidur(dir, { maxTokens: 4096 });
    expect(report.gpus).toHaveLength(1);
    const g = report.gpus[0];
    expect(g.gpu).toBe('A100-80GB');
    expect(g.points.every((p) => p.model === 'Llama-3-8B')).toBe(true);
    expect(g.points.some((p) => p.tokens > 4096)).toBe(false);
    expect(g.points.filter((p) => p.tokens === 4096 && p.tp === 1)).toHaveLength(1);
    expect(g.overall.worstPct).toBeLessThan(1);
    // whole-model times: 32 layers of Llama-3-8B
    const p1 = g.points.find((p) => p.tokens === 1 && p.tp === 1)!;
    expect(p1.measuredMs).toBeCloseTo(32 * layerSeconds(layerCost(dims, 1, a100, eff), 1) * 1000, 6);
    expect(report.skipped.join()).toContain('v100');

    const md = formatCalibrationReport(report);
    expect(md).toContain('| A100-80GB | Llama-3-8B | 1 |');
    expect(md).toContain('| 4096 | A100-80GB | Llama-3-8B | 2 |');
    expect(md).toMatch(/differ from this fit/); // the catalog holds other factors than `truth`
  });

  it('raises InputError for a directory without profiles', () => {
    const empty = mkdtempSync(join(tmpdir(), 'routesim-vidur-empty-'));
    expect(() => calibrateAgainstVidur(empty)).toThrow(InputError);
    expect(() => calibrateAgainstVidur(join(empty, 'nope'))).toThrow(/cannot read directory/);
  });

  // The shared data beside the checkout, when present (never copied into the project).
  const shared = fileURLToPath(new URL('../../../shared/data/vidur_profiling', import.meta.url));
  it.skipIf(!existsSync(shared))('reproduces the shipped A100/H100 factors from the real profiles', () => {
    const report = calibrateAgainstVidur(shared);
    const gpus = loadGpuCatalog();
    for (const g of report.gpus) {
      const shipped = gpus.get(g.gpu).efficiency!;
      expect(g.efficiency.mfu).toBe(shipped.mfu);
      expect(g.efficiency.mbu).toBe(shipped.mbu);
      expect(g.efficiency.gemmTileTokens).toBe(shipped.gemmTileTokens);
      expect(g.efficiency.elementwiseMbu).toBe(shipped.elementwiseMbu);
      expect(g.efficiency.layerOverheadS).toBe(shipped.layerOverheadS);
      expect(g.efficiency.source).toBe(shipped.source);
      expect(g.overall.medianAbsPct).toBeLessThan(6);
      expect(Math.abs(g.smallBatch.worstPct)).toBeLessThan(15);
      expect(g.overall.within15).toBeGreaterThan(0.97);
    }
  });
});
