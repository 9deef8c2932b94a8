/**
 * Tensor-parallel all-reduce time: a start-up latency per collective plus the bytes a ring
 * moves, 2(tp-1)/tp of the buffer, over the bus bandwidth. Where the catalog has a fit to
 * measured all-reduce tables (efficiency.allReduce) it is used; otherwise the link's datasheet
 * bandwidth and the constants below.
 */
import type { AllReduceFit, GpuSpec } from './types.js';

/**
 * Achieved fraction of the per-direction link bandwidth. Vidur's intra-node send/recv profiles
 * reach 348 GB/s of H100's 450 and 229 GB/s of A100's 300 at 64 MiB: about 0.76 on both.
 */
export const LINK_EFFICIENCY = 0.75;

/**
 * Start-up latency per all-reduce. NVLink: Vidur's small-message intra-node send/recv takes
 * 9-17 us. PCIe: assumed (no measurement here) to be slower to start, peer traffic crossing
 * the host bridge.
 */
export const ALLREDUCE_LATENCY_S = { nvlink: 10e-6, pcie: 25e-6 } as const;

export interface AllReduceCost {
  latencyS: number;
  /** Seconds per byte of all-reduced buffer. */
  secondsPerByte: number;
}

export function allReduceCost(gpu: GpuSpec, tp: number, fit?: AllReduceFit): AllReduceCost {
  if (tp <= 1) return { latencyS: 0, secondsPerByte: 0 };
  const ring = (2 * (tp - 1)) / tp;
  const point = fit ? fitAt(fit, tp) : undefined;
  if (point) return { latencyS: point.latencyS, secondsPerByte: ring / (point.busGBs * 1e9) };
  return {
    latencyS: ALLREDUCE_LATENCY_S[gpu.interconnect.kind],
    secondsPerByte: ring / (gpu.interconnect.bandwidthGBs * 1e9 * LINK_EFFICIENCY),
  };
}

/** The fit at `tp`: a measured degree, linear between two, the nearest one outside the range. */
function fitAt(fit: AllReduceFit, tp: number): { latencyS: number; busGBs: number } | undefined {
  const pts = [...fit.points].sort((a, b) => a.tp - b.tp);
  if (pts.length === 0) return undefined;
  if (tp <= pts[0].tp) return pts[0];
  for (let i = 1; i < pts.length; i++) {
    const lo = pts[i - 1];
    const hi = pts[i];
    if (tp <= hi.tp) {
      const f = (tp - lo.tp) / (hi.tp - lo.tp);
      return { latencyS: lo.latencyS + f * (hi.latencyS - lo.latencyS), busGBs: lo.busGBs + f * (hi.busGBs - lo.busGBs) };
    }
  }
  return pts[pts.length - 1];
}
