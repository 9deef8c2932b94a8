/**
 * The roofline timing model: a step's time from the FLOPs and bytes of its batch, over the
 * GPU's peak rates scaled by calibrated efficiency factors (docs/timing.md).
 */
import { InputError } from '../input-error.js';
import { attentionCost, stepAttentionSeconds } from './attention-cost.js';
import { allReduceCost } from './collective.js';
import { cudaGraphPaddedTokens } from './cuda-graph.js';
import { CUDA_GRAPH_MAX_TOKENS, peakFlops, resolveEfficiency } from './efficiency.js';
import { FITTED_HOST_STEP, type HostStep } from './host-step.js';
import { layerCost, layerWork } from './layer-cost.js';
import { samplerSortSecondsPerLogit } from './sampler-cost.js';
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

export interface RooflineOptions {
  /** MoE models: whole experts per rank (expert parallelism) instead of a 1/tp shard of each. */
  expertParallel?: boolean;
  /**
   * Whether the engine's sampler sorts the logits for top-p/top-k (vLLM's PyTorch path: true,
   * the default). SGLang samples with FlashInfer's sorting-free kernels (sampling_backend
   * "flashinfer", sgl-project/sglang python/sglang/srt/layers/sampler.py): false.
   */
  sortingSampler?: boolean;
  /**
   * vLLM's largest CUDA-graph size as the engine sets it (cuda-graph.ts): steps of up to this
   * many tokens replay a graph and are padded to its captured size. Absent: graphs up to
   * CUDA_GRAPH_MAX_TOKENS, no padding (the calibration against kernel tables, SGLang).
   */
  cudaGraphMaxTokens?: number;
  /** The engine's host time per step (host-step.ts). Absent: the fitted vLLM one. */
  hostStep?: HostStep;
}

export function createRooflineTiming(gpu: GpuSpec, model: ModelSpec, tp: number, opts: RooflineOptions = {}): TimingModel {
  checkTensorParallel(model, tp);
  if (opts.expertParallel && model.moe && model.moe.experts % tp !== 0) {
    throw new InputError(`expert parallelism over ${tp} ranks needs a multiple of ${tp} experts; ${model.name} has ${model.moe.experts}`);
  }
  const eff = resolveEfficiency(gpu);
  const derived = deriveModel(model);
  const shape = modelLayers(model);
  const dense = layerCost(shape.dense, tp, gpu, eff);
  const moe = shape.moe ? layerCost(shape.moe, tp, gpu, eff, opts.expertParallel === true) : dense;
  const denseLayers = shape.denseLayers;
  const moeLayers = shape.moeLayers;
  const layers = model.layers;
  const actBytes = highPrecisionBytes(model);
  const bandwidth = gpu.memoryBandwidthGBs * 1e9 * eff.mbu;

  // The LM head is split by vocabulary across ranks and runs only for rows that sample a token.
  // It stays in 16 bit in FP8 checkpoints.
  const headComputePerRow = (2 * derived.lmHeadParams) / tp / (peakFlops(gpu, actBytes) * eff.mfu);
  const headStream = (derived.lmHeadParams * actBytes) / tp / bandwidth;
  // Models whose generation config sets top_p/top_k: every row's logits are sorted each step.
  const sorts = model.topPSampling === true && opts.sortingSampler !== false;
  const samplerPerRow = sorts ? model.vocabSize * samplerSortSecondsPerLogit(gpu) : 0;
  // Attention FLOPs per (query, key) pair and query head. GQA: QK^T and PV cost 2 x headDim
  // each. MLA prefill runs expanded heads (qk = nope + rope, v); MLA decode runs on the latent
  // with the up-projections absorbed (qk = kvLoraRank + rope, v = kvLoraRank).
  // Each rank reads the KV of its own KV heads; with more ranks than KV heads they are
  // replicated. MLA's latent is shared by all heads, so every rank reads all of it.
  const m = model.mla;
  const kvHeadsPerRank = m ? 1 : Math.max(1, model.kvHeads / tp);
  const kvElemsPerRank = m ? m.kvLoraRank + m.qkRopeHeadDim : 2 * kvHeadsPerRank * model.headDim;
  const attn = attentionCost(
    {
      headsPerRank: model.heads / tp,
      kvHeadsPerRank,
      prefillPairFlops: m ? 2 * (m.qkNopeHeadDim + m.qkRopeHeadDim + m.vHeadDim) : 4 * model.headDim,
      decodePairFlops: m ? 2 * (2 * m.kvLoraRank + m.qkRopeHeadDim) : 4 * model.headDim,
      kvBytesPerToken: kvElemsPerRank * kvDtypeBytes(model),
    },
    gpu,
    eff.attention,
    eff.mfu,
  );
  // Two all-reduces per layer (after attention and after the MLP) of tokens x hidden values.
  const ar = allReduceCost(gpu, tp, eff.allReduce);
  const allReducePerToken = 2 * layers * ar.secondsPerByte * model.hiddenSize * actBytes;
  const host = opts.hostStep ?? FITTED_HOST_STEP;
  const fixed = host.baseS + 2 * layers * ar.latencyS;
  const perSeq = host.perSeqS;
  // Per-layer launch floors: steps of up to graphMaxTokens tokens replay a CUDA graph
  // (full for pure decode, piecewise around attention otherwise); larger steps run eagerly.
  // vllm-project/vllm@0045689:docs/design/cuda_graphs.md (FULL_AND_PIECEWISE is the default).
  const padsToGraph = opts.cudaGraphMaxTokens !== undefined;
  const graphMaxTokens = opts.cudaGraphMaxTokens ?? CUDA_GRAPH_MAX_TOKENS;
  const graphOverhead = layers * eff.graphLayerOverheadS;
  const eagerOverhead = layers * eff.layerOverheadS;

  return {
    name: `roofline:${gpu.name}/${model.name}/tp${tp}`,
    stepTime(b: BatchShape): number {
      const real = b.prefillTokens + b.decodeSeqs;
      if (real <= 0) return 0;
      // Padded rows of a replayed graph run the matmuls, the router and the all-reduces.
      const tokens = padsToGraph ? cudaGraphPaddedTokens(real, graphMaxTokens) : real;
      const linear =
        denseLayers * layerWork(dense, tokens) +
        (moeLayers > 0 ? moeLayers * layerWork(moe, tokens) : 0) +
        (real <= graphMaxTokens ? graphOverhead : eagerOverhead);

      const rows = b.prefillSeqs + b.decodeSeqs;
      const headCompute = rows * headComputePerRow;
      const head = rows > 0 ? Math.sqrt(headCompute * headCompute + headStream * headStream) : 0;

      const attention =
        layers *
        stepAttentionSeconds(
          attn,
          rows,
          b.decodeSeqs,
          b.prefillAttentionPairs,
          b.decodeContextTokens,
          b.prefillContextTokens + b.decodeContextTokens,
          b.sharedKvTokens,
          b.sharedKvDistinctTokens,
        );

      return linear + head + attention + tokens * allReducePerToken + fixed + rows * (perSeq + samplerPerRow);
    },
  };
}
