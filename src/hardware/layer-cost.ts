/**
 * Time of the non-attention part of one transformer layer on one GPU: the matmuls (QKV, O,
 * gate+up, down, or a mixture of experts) and the per-token kernels around them (norms,
 * rotary, activation, residual add). This is the quantity Vidur profiles per operator, so the
 * roofline and its calibration share this one definition.
 */
import { FP8_GEMM_EXTRA_S, FP8_MBU_SHARE, FP8_MFU_SHARE, peakFlops, runsFp8Gemm, type LayerEfficiency } from './efficiency.js';
import type { GpuSpec } from './types.js';

/** What one layer's matmuls and per-token kernels touch, in elements per token or parameters. */
export interface LayerShape {
  hidden: number;
  /** Matmul parameters held whole by every tensor-parallel rank (MLA's down-projections). */
  replicatedParams: number;
  /** Matmul parameters every token uses, split across ranks (attention, dense MLP, shared experts, router). */
  shardedParams: number;
  /** Routed experts of an MoE layer (0: dense layer), how many each token uses, parameters of one. */
  experts: number;
  activeExperts: number;
  expertParams: number;
  /** Elements rotary embedding reads and writes per token (split across ranks). */
  rotaryElems: number;
  /** MLP width the activation works on per token (split across ranks). */
  activationWidth: number;
  /** Matmul kernel calls per token pass (QKV, O, gate+up, down; a fused MoE call counts once per projection). */
  gemmCalls: number;
  /** Bytes per weight element and per activation element. */
  weightBytes: number;
  activationBytes: number;
}

/** The layer of a dense decoder with grouped-query attention and a gated MLP. */
export function denseLayerShape(d: {
  hidden: number;
  /** heads x headDim */
  qDim: number;
  /** kvHeads x headDim */
  kvDim: number;
  intermediate: number;
  dtypeBytes: number;
}): LayerShape {
  return {
    hidden: d.hidden,
    replicatedParams: 0,
    shardedParams: d.hidden * (d.qDim + 2 * d.kvDim) + d.qDim * d.hidden + 3 * d.hidden * d.intermediate,
    experts: 0,
    activeExperts: 0,
    expertParams: 0,
    rotaryElems: d.qDim + d.kvDim,
    activationWidth: d.intermediate,
    gemmCalls: 4,
    weightBytes: d.dtypeBytes,
    activationBytes: d.dtypeBytes,
  };
}

/** Matmul parameters one token uses in this layer. */
export function activeLayerParams(s: LayerShape): number {
  return s.replicatedParams + s.shardedParams + s.activeExperts * s.expertParams;
}

/** Constants of the layer-time formula, computed once per (GPU, model, tp). */
export interface LayerCost {
  /** Matmul compute seconds per token of the weights every token uses (after tile rounding). */
  computePerToken: number;
  /** Matmul compute seconds per token of its routed experts (grouped GEMMs; no tile rounding). */
  expertComputePerToken: number;
  /** Seconds to stream the weights every step reads once. */
  weightStream: number;
  /** Seconds to stream one routed expert's shard. */
  expertStream: number;
  /** Routed experts (0 for a dense layer) and log(1 - activeExperts / experts). */
  experts: number;
  logMissPerToken: number;
  /**
   * Expert parallelism: each rank holds `experts / tp` whole experts and the step waits for
   * the rank that reads the most (0: experts sharded over the ranks, no imbalance).
   */
  expertsPerRank: number;
  /** sqrt(2 ln tp): how many standard deviations above the mean the busiest of tp ranks sits. */
  busiestRankZ: number;
  /** Seconds of per-token elementwise traffic. */
  elementwisePerToken: number;
  /** Fixed seconds per layer. */
  overhead: number;
  /** Fixed seconds per layer of FP8 GEMMs beyond what BF16 ones cost (0 for BF16). */
  fp8Extra: number;
  /** Token counts are rounded up to a multiple of this for the compute term. */
  tile: number;
}

export function layerCost(s: LayerShape, tp: number, gpu: GpuSpec, eff: LayerEfficiency, expertParallel = false): LayerCost {
  // FP8 GEMMs reach a smaller share of both peaks than the BF16 ones the factors were fitted
  // on, and quantize their input first (efficiency.ts).
  const fp8 = runsFp8Gemm(gpu, s.weightBytes);
  const bandwidth = gpu.memoryBandwidthGBs * 1e9;
  const weightBandwidth = bandwidth * (fp8 ? FP8_MBU_SHARE : 1);
  const flops = peakFlops(gpu, s.weightBytes) * eff.mfu * (fp8 ? FP8_MFU_SHARE : 1);
  const everyToken = s.replicatedParams + s.shardedParams / tp;
  const ep = expertParallel && s.experts > 0 && tp > 1;
  // Bytes read per touched expert on one rank: a 1/tp shard, or the whole expert under EP.
  const expertShard = ep ? s.expertParams : s.expertParams / tp;
  // Norms and residual adds run on the full hidden vector on every rank (Megatron-style TP
  // replicates them); rotary and the activation work on this rank's heads / MLP shard.
  const replicatedElems = 2 * (2 * s.hidden) + 3 * s.hidden;
  const shardedElems = 2 * s.rotaryElems + 3 * s.activationWidth;
  const elementwiseBytes = (replicatedElems + shardedElems / tp) * s.activationBytes;
  return {
    computePerToken: (2 * everyToken) / flops,
    // Expert FLOPs per token spread over the ranks either way (uniform routing).
    expertComputePerToken: (2 * s.activeExperts * s.expertParams) / tp / flops,
    weightStream: (everyToken * s.weightBytes) / (weightBandwidth * eff.mbu),
    expertStream: (expertShard * s.weightBytes) / (weightBandwidth * eff.mbu),
    experts: s.experts,
    logMissPerToken: s.experts > 0 ? Math.log1p(-s.activeExperts / s.experts) : 0,
    expertsPerRank: ep ? s.experts / tp : 0,
    busiestRankZ: ep ? Math.sqrt(2 * Math.log(tp)) : 0,
    elementwisePerToken: elementwiseBytes / (bandwidth * eff.elementwiseMbu),
    overhead: eff.layerOverheadS,
    fp8Extra: fp8 ? s.gemmCalls * FP8_GEMM_EXTRA_S : 0,
    tile: eff.gemmTileTokens,
  };
}

/**
 * Expected number of distinct routed experts a step of `tokens` tokens reads, each token
 * choosing `activeExperts` of `experts` (uniform routing): experts x (1 - (1 - k/E)^tokens).
 * One token reads k; a large batch reads them all.
 */
export function expertsTouched(c: LayerCost, tokens: number): number {
  if (c.experts === 0) return 0;
  const share = -Math.expm1(tokens * c.logMissPerToken);
  if (c.expertsPerRank === 0) return c.experts * share;
  // Expert parallelism: the busiest rank's count, mean + z x sqrt(mean) (a Poisson-like
  // spread), at most all of its experts. Monotone in tokens.
  const mean = c.expertsPerRank * share;
  return Math.min(c.expertsPerRank, mean + c.busiestRankZ * Math.sqrt(mean));
}

/**
 * Compute and weight streaming overlap only partly as a matmul moves from memory-bound to
 * compute-bound, so they combine as sqrt(compute^2 + memory^2) rather than max(): a smooth
 * roofline that fits the measured knee better (docs/timing.md compares the two). Without the
 * fixed per-layer time, which depends on how the step is launched (eager or CUDA graph).
 */
export function layerWork(c: LayerCost, tokens: number): number {
  const rounded = c.tile > 1 ? Math.ceil(tokens / c.tile) * c.tile : tokens;
  const compute = rounded * c.computePerToken + tokens * c.expertComputePerToken;
  const stream = c.weightStream + c.expertStream * expertsTouched(c, tokens);
  return Math.sqrt(compute * compute + stream * stream) + tokens * c.elementwisePerToken + c.fp8Extra;
}

/** One layer run eagerly, as Vidur profiles it: the work plus the eager per-layer floor. */
export function layerSeconds(c: LayerCost, tokens: number): number {
  return layerWork(c, tokens) + c.overhead;
}
