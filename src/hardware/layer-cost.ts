/**
 * Time of the non-attention part of one transformer layer on one GPU: the four matmuls (QKV,
 * O, gate+up, down) and the per-token kernels around them (norms, rotary, activation, residual
 * add). This is the quantity Vidur profiles per operator, so the roofline and its calibration
 * share this one definition.
 */
import { peakFlops, type ResolvedEfficiency } from './efficiency.js';
import type { GpuSpec } from './types.js';

export interface LayerDims {
  hidden: number;
  /** heads x headDim */
  qDim: number;
  /** kvHeads x headDim */
  kvDim: number;
  intermediate: number;
  dtypeBytes: number;
}

/** Constants of the layer-time formula, computed once per (GPU, model, tp). */
export interface LayerCost {
  /** Matmul compute seconds per token (after tile rounding). */
  computePerToken: number;
  /** Seconds to stream the layer's matmul weights once. */
  weightStream: number;
  /** Seconds of per-token elementwise traffic. */
  elementwisePerToken: number;
  /** Fixed seconds per layer. */
  overhead: number;
  /** Token counts are rounded up to a multiple of this for the compute term. */
  tile: number;
}

export function layerLinearParams(d: LayerDims): number {
  return d.hidden * (d.qDim + 2 * d.kvDim) + d.qDim * d.hidden + 3 * d.hidden * d.intermediate;
}

export function layerCost(d: LayerDims, tp: number, gpu: GpuSpec, eff: ResolvedEfficiency): LayerCost {
  const params = layerLinearParams(d) / tp;
  const bandwidth = gpu.memoryBandwidthGBs * 1e9;
  // Norms and residual adds run on the full hidden vector on every rank (Megatron-style TP
  // replicates them); rotary and the activation work on this rank's heads / MLP shard.
  const replicatedElems = 2 * (2 * d.hidden) + 3 * d.hidden;
  const shardedElems = 2 * (d.qDim + d.kvDim) + 3 * d.intermediate;
  const elementwiseBytes = (replicatedElems + shardedElems / tp) * d.dtypeBytes;
  return {
    computePerToken: (2 * params) / (peakFlops(gpu, d.dtypeBytes) * eff.mfu),
    weightStream: (params * d.dtypeBytes) / (bandwidth * eff.mbu),
    elementwisePerToken: elementwiseBytes / (bandwidth * eff.elementwiseMbu),
    overhead: eff.layerOverheadS,
    tile: eff.gemmTileTokens,
  };
}

/**
 * Compute and weight streaming overlap only partly as a matmul moves from memory-bound to
 * compute-bound, so they combine as sqrt(compute^2 + memory^2) rather than max(): a smooth
 * roofline that fits the measured knee better (docs/timing.md compares the two).
 */
export function layerSeconds(c: LayerCost, tokens: number): number {
  const rounded = c.tile > 1 ? Math.ceil(tokens / c.tile) * c.tile : tokens;
  const compute = rounded * c.computePerToken;
  const stream = c.weightStream;
  return Math.sqrt(compute * compute + stream * stream) + tokens * c.elementwisePerToken + c.overhead;
}
