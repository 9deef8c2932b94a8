/**
 * The roofline timing model: a step's time from the FLOPs and bytes of its batch, over the
 * GPU's peak rates scaled by calibrated efficiency factors (docs/timing.md).
 */
import { InputError } from '../input-error.js';
import { allReduceLatency, allReduceSecondsPerByte } from './collective.js';
import { peakFlops, resolveEfficiency } from './efficiency.js';
import { layerCost, layerSeconds } from './layer-cost.js';
import { deriveModel, layerDims } from './model-derived.js';
import type { BatchShape, GpuSpec, ModelSpec, TimingModel } from './types.js';

export function checkTensorParallel(model: ModelSpec, tp: number): void {
  if (!Number.isInteger(tp) || tp < 1) {
    throw new InputError(`tensor parallelism must be a positive integer, got ${tp}`);
  }
  if (model.heads % tp !== 0) {
    throw new InputError(`tensor parallelism ${tp} does not divide the ${model.heads} attention heads of ${model.name}`);
  }
}

export function createRooflineTiming(gpu: GpuSpec, model: ModelSpec, tp: number): TimingModel {
  checkTensorParallel(model, tp);
  const eff = resolveEfficiency(gpu);
  const derived = deriveModel(model);
  const dims = layerDims(model);
  const layers = model.layers;
  const layer = layerCost(dims, tp, gpu, eff);
  const flops = peakFlops(gpu, model.dtypeBytes) * eff.mfu;
  const bandwidth = gpu.memoryBandwidthGBs * 1e9 * eff.mbu;

  // The LM head is split by vocabulary across ranks and runs only for rows that sample a token.
  const headComputePerRow = (2 * derived.lmHeadParams) / tp / flops;
  const headStream = (derived.lmHeadParams * model.dtypeBytes) / tp / bandwidth;
  // Attention: QK^T and PV cost 2 x headDim FLOPs each per (query, key) pair and head.
  const attentionPerPair = (4 * layers * dims.qDim) / tp / flops;
  // Each rank reads the KV of its own KV heads; with more ranks than KV heads they are replicated.
  const kvHeadsPerRank = Math.max(1, model.kvHeads / tp);
  const kvReadPerToken = (2 * layers * kvHeadsPerRank * model.headDim * model.dtypeBytes) / bandwidth;
  // Two all-reduces per layer (after attention and after the MLP) of tokens x hidden values.
  const allReducePerToken = 2 * layers * allReduceSecondsPerByte(gpu, tp) * model.hiddenSize * model.dtypeBytes;
  const fixed = eff.stepOverheadS + 2 * layers * allReduceLatency(gpu, tp);

  return {
    name: `roofline:${gpu.name}/${model.name}/tp${tp}`,
    stepTime(b: BatchShape): number {
      const tokens = b.prefillTokens + b.decodeSeqs;
      if (tokens <= 0) return 0;
      const linear = layers * layerSeconds(layer, tokens);

      const rows = b.prefillSeqs + b.decodeSeqs;
      const headCompute = rows * headComputePerRow;
      const head = rows > 0 ? Math.sqrt(headCompute * headCompute + headStream * headStream) : 0;

      const attnCompute = (b.prefillAttentionPairs + b.decodeContextTokens) * attentionPerPair;
      const attnMemory = (b.prefillContextTokens + b.decodeContextTokens) * kvReadPerToken;
      const attention = Math.sqrt(attnCompute * attnCompute + attnMemory * attnMemory);

      return linear + head + attention + tokens * allReducePerToken + fixed;
    },
  };
}
