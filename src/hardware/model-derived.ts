/**
 * Quantities that follow from a model's architecture. Assumes the dense decoder shape every
 * catalog model shares: grouped-query attention, a gated (SwiGLU) MLP, RMSNorm.
 */
import { layerLinearParams, type LayerDims } from './layer-cost.js';
import type { ModelDerived, ModelSpec } from './types.js';

export function layerDims(spec: ModelSpec): LayerDims {
  return {
    hidden: spec.hiddenSize,
    qDim: spec.heads * spec.headDim,
    kvDim: spec.kvHeads * spec.headDim,
    intermediate: spec.intermediateSize,
    dtypeBytes: spec.dtypeBytes,
  };
}

export function deriveModel(spec: ModelSpec): ModelDerived {
  const h = spec.hiddenSize;
  const perLayer = layerLinearParams(layerDims(spec));
  const layerNormParams = 2 * h;
  const lmHeadParams = spec.vocabSize * h;
  const embeddingParams = spec.tiedEmbeddings ? lmHeadParams : 2 * lmHeadParams;
  const params = spec.layers * (perLayer + layerNormParams) + embeddingParams + h;
  return {
    params,
    weightBytes: params * spec.dtypeBytes,
    kvBytesPerToken: 2 * spec.layers * spec.kvHeads * spec.headDim * spec.dtypeBytes,
    linearFlopsPerToken: 2 * (spec.layers * perLayer + lmHeadParams),
    layerLinearParams: perLayer,
    lmHeadParams,
  };
}
