/** How many tokens of KV cache fit on an instance after weights and the activation reserve. */
import { deriveModel, highPrecisionBytes, modelLayers } from './model-derived.js';
import type { GpuSpec, ModelSpec } from './types.js';

/**
 * Per-GPU memory held back besides weights and the activation peak: CUDA context and graphs,
 * NCCL buffers, allocator slack. vLLM measures this ("non-torch memory") in its profiling run;
 * 1 GB is a round stand-in for a 7-8B model.
 */
export const FIXED_RESERVE_BYTES_PER_GPU = 1e9;

/** vLLM's default `max_num_batched_tokens` with chunked prefill on large GPUs. */
export const DEFAULT_MAX_NUM_BATCHED_TOKENS = 8192;

/**
 * Peak activation memory of one forward pass of `maxNumBatchedTokens` tokens, per GPU. The
 * peak is in the MLP: the layer input and residual (2 x hidden) alive next to the gate+up output
 * and the activated product (3 x intermediate / tp). This stands in for the peak that vLLM
 * measures with a dummy forward pass of that many tokens.
 */
export function activationReserveBytes(model: ModelSpec, tp: number, maxNumBatchedTokens: number): number {
  const layers = modelLayers(model);
  // The widest MLP among the layer kinds (an MoE layer: its active and shared experts).
  const width = Math.max(layers.denseLayers > 0 ? layers.dense.activationWidth : 0, layers.moe?.activationWidth ?? 0);
  const perToken = (2 * model.hiddenSize + (3 * width) / tp) * highPrecisionBytes(model);
  return maxNumBatchedTokens * perToken;
}

/**
 * KV capacity in tokens of an instance of `tp` GPUs:
 * floor((memory x util x tp - weights - tp x (fixed reserve + activation peak)) / KV bytes per token).
 * Returns a value <= 0 when the model does not fit; the caller reports it.
 * Memory is the datasheet figure read as GiB (2^30 bytes): DRAM capacities are binary (an
 * H100 80 GB has 80 GiB; the driver reports 81559 MiB of it, 0.4% less). Checked against the KV
 * block counts vLLM logged on the 15 H100 runs of sim2real_trainval (docs/fidelity.md): reading
 * 1e9-byte GB left 7-11% fewer KV tokens than vLLM had on every dense run.
 */
export const BYTES_PER_GB = 2 ** 30;

export function kvCapacityTokens(
  gpu: GpuSpec,
  model: ModelSpec,
  tp: number,
  gpuMemoryUtilization: number,
  maxNumBatchedTokens: number = DEFAULT_MAX_NUM_BATCHED_TOKENS,
): number {
  const derived = deriveModel(model);
  const budget = gpu.memoryGB * BYTES_PER_GB * gpuMemoryUtilization * tp;
  const reserve = tp * (FIXED_RESERVE_BYTES_PER_GPU + activationReserveBytes(model, tp, maxNumBatchedTokens));
  return Math.floor((budget - derived.weightBytes - reserve) / derived.kvBytesPerToken);
}
