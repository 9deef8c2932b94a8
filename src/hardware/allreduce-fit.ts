/**
 * Fits all-reduce latency and bus bandwidth per TP degree to AIConfigurator's comm tables:
 * time = latency + bytes x 2(tp-1)/tp / busBandwidth, by weighted least squares (relative
 * error) over messages of 256 B to 64 MiB, the sizes a step's activations take. For each
 * message size the fastest kernel vLLM would pick is used: its custom all-reduce (CUDA-graph
 * variant) or NCCL; on PCIe, custom all-reduce only for two GPUs (vLLM disables it for more
 * PCIe-only GPUs).
 */
import { median, quantile } from 'd3-array';
import type { AllReduceRow } from './kernel-tables.js';
import { leastSquares } from './least-squares.js';
import type { GpuSpec } from './types.js';

export const ALLREDUCE_FIT_MAX_BYTES = 64 * 2 ** 20;

export interface AllReduceTpFit {
  tp: number;
  latencyS: number;
  busGBs: number;
  points: number;
  medianPct: number;
  p90Pct: number;
}

export function fitAllReduce(rows: readonly AllReduceRow[], gpu: GpuSpec): AllReduceTpFit[] {
  const usable = (r: AllReduceRow): boolean =>
    r.kernel === 'NCCL' || (r.kernel === 'vLLM_custom_graph' && (gpu.interconnect.kind === 'nvlink' || r.tp === 2));
  const out: AllReduceTpFit[] = [];
  for (const tp of [...new Set(rows.map((r) => r.tp))].sort((a, b) => a - b)) {
    const best = new Map<number, number>();
    for (const r of rows) {
      if (r.tp !== tp || !usable(r) || r.elements * 2 < 256 || r.elements * 2 > ALLREDUCE_FIT_MAX_BYTES) continue;
      best.set(r.elements, Math.min(best.get(r.elements) ?? Infinity, r.seconds));
    }
    const pts = [...best].sort((a, b) => a[0] - b[0]);
    if (pts.length < 2) continue;
    const ring = (2 * (tp - 1)) / tp;
    const x = leastSquares(
      pts.map(([e]) => [1, e * 2 * ring]),
      pts.map(([, t]) => t),
      pts.map(([, t]) => 1 / (t * t)),
    );
    const latencyS = Math.max(0, x[0]);
    const busGBs = 1 / x[1] / 1e9;
    const errs = pts.map(([e, t]) => Math.abs((latencyS + (e * 2 * ring) / (busGBs * 1e9)) / t - 1) * 100);
    out.push({ tp, latencyS, busGBs, points: pts.length, medianPct: median(errs) ?? NaN, p90Pct: quantile(errs, 0.9) ?? NaN });
  }
  return out;
}
