/**
 * Tensor-parallel all-reduce time: a ring moves 2(tp-1)/tp of the buffer over each link, plus
 * a fixed start-up latency per collective.
 */
import type { GpuSpec } from './types.js';

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

/** Seconds per byte of all-reduced buffer (excluding latency) for `tp` ranks on this GPU's link. */
export function allReduceSecondsPerByte(gpu: GpuSpec, tp: number): number {
  if (tp <= 1) return 0;
  return (2 * (tp - 1)) / tp / (gpu.interconnect.bandwidthGBs * 1e9 * LINK_EFFICIENCY);
}

export function allReduceLatency(gpu: GpuSpec, tp: number): number {
  return tp <= 1 ? 0 : ALLREDUCE_LATENCY_S[gpu.interconnect.kind];
}
