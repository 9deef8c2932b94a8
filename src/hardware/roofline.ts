/**
 * The roofline timing model: a step's time from the FLOPs and bytes of its batch, over the
 * GPU's peak rates scaled by calibrated efficiency factors (docs/timing.md).
 */
import { InputError } from '../input-error.js';
import { allReduceLatency, allReduceSecondsPerByte } from './collective.js';
import { peakFlops, resolveEfficiency } from './efficiency.js';
import { layerCost, layerSeconds } from './layer-cost.js';
import { deriveModel, highPrecisionBytes, kvDtypeBytes, modelLayers } from './model-derived.js';
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
  const shape = modelLayers(model);
  const dense = layerCost(shape.dense, tp, gpu, eff);
  const moe = shape.moe ? layerCost(shape.moe, tp, gpu, eff) : dense;
  const denseLayers = shape.denseLayers;
  const moeLayers = shape.moeLayers;
  const layers = model.layers;
  const actBytes = highPrecisionBytes(model);
  // Attention runs in 16 bit whatever the weights are.
  const attnFlops = peakFlops(gpu, actBytes) * eff.mfu;
  const bandwidth = gpu.memoryBandwidthGBs * 1e9 * eff.mbu;

  // The LM head is split by vocabulary across ranks and runs only for rows that sample a token.
  // It stays in 16 bit in FP8 checkpoints.
  const headComputePerRow = (2 * derived.lmHeadParams) / tp / attnFlops;
  const headStream = (derived.lmHeadParams * actBytes) / tp / bandwidth;
  // Attention FLOPs per (query, key) pair, all layers, this rank's heads. GQA: QK^T and PV cost
  // 2 x headDim each per head. MLA prefill runs expanded heads (qk = nope + rope, v); MLA decode
  // runs on the latent with the up-projections absorbed (qk = kvLoraRank + rope, v = kvLoraRank).
  const m = model.mla;
  const headsPerRank = model.heads / tp;
  const prefillPairFlops = m ? 2 * (m.qkNopeHeadDim + m.qkRopeHeadDim + m.vHeadDim) : 4 * model.headDim;
  const decodePairFlops = m ? 2 * (2 * m.kvLoraRank + m.qkRopeHeadDim) : 4 * model.headDim;
  const prefillPerPair = (layers * headsPerRank * prefillPairFlops) / attnFlops;
  const decodePerPair = (layers * headsPerRank * decodePairFlops) / attnFlops;
  // Each rank reads the KV of its own KV heads; with more ranks than KV heads they are
  // replicated. MLA's latent is shared by all heads, so every rank reads all of it.
  const kvElemsPerRank = m ? m.kvLoraRank + m.qkRopeHeadDim : 2 * Math.max(1, model.kvHeads / tp) * model.headDim;
  const kvReadPerToken = (layers * kvElemsPerRank * kvDtypeBytes(model)) / bandwidth;
  // Two all-reduces per layer (after attention and after the MLP) of tokens x hidden values.
  const allReducePerToken = 2 * layers * allReduceSecondsPerByte(gpu, tp) * model.hiddenSize * actBytes;
  const fixed = eff.stepOverheadS + 2 * layers * allReduceLatency(gpu, tp);
  const perSeq = eff.stepOverheadPerSeqS;

  return {
    name: `roofline:${gpu.name}/${model.name}/tp${tp}`,
    stepTime(b: BatchShape): number {
      const tokens = b.prefillTokens + b.decodeSeqs;
      if (tokens <= 0) return 0;
      const linear = denseLayers * layerSeconds(dense, tokens) + (moeLayers > 0 ? moeLayers * layerSeconds(moe, tokens) : 0);

      const rows = b.prefillSeqs + b.decodeSeqs;
      const headCompute = rows * headComputePerRow;
      const head = rows > 0 ? Math.sqrt(headCompute * headCompute + headStream * headStream) : 0;

      const attnCompute = b.prefillAttentionPairs * prefillPerPair + b.decodeContextTokens * decodePerPair;
      const attnMemory = (b.prefillContextTokens + b.decodeContextTokens) * kvReadPerToken;
      const attention = Math.sqrt(attnCompute * attnCompute + attnMemory * attnMemory);

      return linear + head + attention + tokens * allReducePerToken + fixed + rows * perSeq;
    },
  };
}
