/**
 * Fits the matmul factors (mfu, mbu, gemmTileTokens) of the layer model to AIConfigurator's
 * BF16 GEMM tables: each GEMM's time as sqrt(C^2 + W^2), C = 2 x ceil(M / tile) x tile x N x K
 * / (peak x mfu), W = N x K x 2 bytes / (bandwidth x mbu), the same combination layer-cost.ts
 * uses. Kept: the weight shapes of LLM layers (N and K of 1024-32768), M up to 8192 tokens, and
 * calls of at least 20 us (shorter ones are launch floors, which layerOverheadS covers).
 * Minimises the mean squared log error per tile candidate; the best tile wins.
 */
import { median, quantile } from 'd3-array';
import { TILE_CANDIDATES } from './calibrate.js';
import type { GemmRow } from './kernel-tables.js';
import { nelderMead } from './nelder-mead.js';
import type { GpuSpec } from './types.js';

export interface GemmFit {
  mfu: number;
  mbu: number;
  gemmTileTokens: number;
  points: number;
  medianPct: number;
  p90Pct: number;
}

export function usableGemm(r: GemmRow): boolean {
  return r.n >= 1024 && r.k >= 1024 && r.n <= 32768 && r.k <= 32768 && r.m <= 8192 && r.seconds >= 20e-6;
}

export function fitGemm(all: readonly GemmRow[], gpu: GpuSpec): GemmFit {
  const rows = all.filter(usableGemm);
  const peak = gpu.bf16Tflops * 1e12;
  const bw = gpu.memoryBandwidthGBs * 1e9;
  const predict = (r: GemmRow, mfu: number, mbu: number, tile: number): number => {
    const c = (2 * Math.ceil(r.m / tile) * tile * r.n * r.k) / (peak * mfu);
    const w = (r.n * r.k * 2) / (bw * mbu);
    return Math.sqrt(c * c + w * w);
  };
  let best: { loss: number; mfu: number; mbu: number; tile: number } | undefined;
  for (const tile of TILE_CANDIDATES) {
    const loss = (x: number[]): number => {
      const [mfu, mbu] = [Math.exp(x[0]), Math.exp(x[1])];
      let sum = 0;
      for (const r of rows) sum += Math.log(predict(r, mfu, mbu, tile) / r.seconds) ** 2;
      // Efficiencies above 1 are not physical.
      return sum / rows.length + 100 * (Math.max(0, x[0]) + Math.max(0, x[1]));
    };
    let x = [Math.log(0.7), Math.log(0.8)];
    for (let restart = 0; restart < 2; restart++) x = nelderMead(loss, x, { step: 0.2 }).x;
    const mfu = Math.round(Math.exp(x[0]) * 1000) / 1000;
    const mbu = Math.round(Math.exp(x[1]) * 1000) / 1000;
    const value = loss([Math.log(mfu), Math.log(mbu)]);
    if (!best || value < best.loss) best = { loss: value, mfu, mbu, tile };
  }
  const b = best!;
  const errs = rows.map((r) => Math.abs(predict(r, b.mfu, b.mbu, b.tile) / r.seconds - 1) * 100);
  return { mfu: b.mfu, mbu: b.mbu, gemmTileTokens: b.tile, points: rows.length, medianPct: median(errs) ?? NaN, p90Pct: quantile(errs, 0.9) ?? NaN };
}
