/**
 * Quantities that follow from a model's architecture: a decoder of RMSNorm layers with either
 * grouped-query or multi-head latent attention (MLA), and either a gated (SwiGLU) MLP or a
 * mixture of gated experts. Parameter counts follow the Hugging Face implementations (biases,
 * QK-norm weights and vision towers are left out: under 0.1% of any catalog model).
 */
import { activeLayerParams, type LayerShape } from './layer-cost.js';
import type { ModelDerived, ModelSpec } from './types.js';

/**
 * Bytes of the weights an FP8 checkpoint keeps in 16 bit (embeddings, LM head, norms, router),
 * and of activations: BF16 unless the whole model is in a wider type.
 */
export function highPrecisionBytes(spec: ModelSpec): number {
  return Math.max(2, spec.dtypeBytes);
}

export function kvDtypeBytes(spec: ModelSpec): number {
  return spec.kvDtypeBytes ?? spec.dtypeBytes;
}

/** The layers of a model: how many of each kind, and the shape of each kind. */
export interface ModelLayers {
  dense: LayerShape;
  denseLayers: number;
  /** The MoE layer shape; undefined for dense models. */
  moe?: LayerShape;
  moeLayers: number;
}

/** Attention projection parameters of one layer: [held whole by every rank, split across ranks]. */
function attentionParams(spec: ModelSpec): [number, number] {
  const h = spec.hiddenSize;
  const m = spec.mla;
  if (!m) {
    const q = spec.heads * spec.headDim;
    const kv = spec.kvHeads * spec.headDim;
    return [0, h * (q + 2 * kv) + q * h];
  }
  const qk = m.qkNopeHeadDim + m.qkRopeHeadDim;
  // vLLM keeps the down-projections (q_a_proj, kv_a_proj_with_mqa) replicated on every rank.
  const qDown = m.qLoraRank ? h * m.qLoraRank : 0;
  const qUp = (m.qLoraRank ?? h) * spec.heads * qk;
  const kvDown = h * (m.kvLoraRank + m.qkRopeHeadDim);
  const kvUp = m.kvLoraRank * spec.heads * (m.qkNopeHeadDim + m.vHeadDim);
  const out = spec.heads * m.vHeadDim * h;
  return [qDown + kvDown, qUp + kvUp + out];
}

export function modelLayers(spec: ModelSpec): ModelLayers {
  const h = spec.hiddenSize;
  const [replicated, attention] = attentionParams(spec);
  const rotaryElems = spec.mla
    ? spec.heads * (spec.mla.qkNopeHeadDim + spec.mla.qkRopeHeadDim) + spec.mla.kvLoraRank + spec.mla.qkRopeHeadDim
    : (spec.heads + spec.kvHeads) * spec.headDim;
  const common = {
    hidden: h,
    replicatedParams: replicated,
    rotaryElems,
    weightBytes: spec.dtypeBytes,
    activationBytes: highPrecisionBytes(spec),
  };
  const dense: LayerShape = {
    ...common,
    shardedParams: attention + 3 * h * spec.intermediateSize,
    experts: 0,
    activeExperts: 0,
    expertParams: 0,
    activationWidth: spec.intermediateSize,
    gemmCalls: 4,
  };
  const moe = spec.moe;
  if (!moe) return { dense, denseLayers: spec.layers, moeLayers: 0 };
  const sharedWidth = (moe.sharedExperts ?? 0) * (moe.sharedExpertIntermediateSize ?? moe.expertIntermediateSize);
  const denseLayers = moe.denseLayers ?? 0;
  return {
    dense,
    denseLayers,
    moe: {
      ...common,
      // The router (hidden x experts) runs on every token like the shared experts.
      shardedParams: attention + 3 * h * sharedWidth + h * moe.experts,
      experts: moe.experts,
      activeExperts: moe.activeExperts,
      expertParams: 3 * h * moe.expertIntermediateSize,
      activationWidth: sharedWidth + moe.activeExperts * moe.expertIntermediateSize,
      // QKV and O; the shared experts' gate+up and down; the fused routed experts' two calls.
      gemmCalls: 2 + (sharedWidth > 0 ? 2 : 0) + 2,
    },
    moeLayers: spec.layers - denseLayers,
  };
}

/** Bytes of KV cache one token holds in one layer, summed over all KV heads (MLA: the latent). */
export function kvBytesPerTokenLayer(spec: ModelSpec): number {
  const m = spec.mla;
  const elems = m ? m.kvLoraRank + m.qkRopeHeadDim : 2 * spec.kvHeads * spec.headDim;
  return elems * kvDtypeBytes(spec);
}

export function deriveModel(spec: ModelSpec): ModelDerived {
  const h = spec.hiddenSize;
  const L = modelLayers(spec);
  const router = L.moe ? h * L.moe.experts : 0;
  const allParams = (s: LayerShape): number => s.replicatedParams + s.shardedParams + s.experts * s.expertParams;
  const matmulParams = L.denseLayers * allParams(L.dense) + (L.moe ? L.moeLayers * (allParams(L.moe) - router) : 0);
  const activeMatmul =
    L.denseLayers * activeLayerParams(L.dense) + (L.moe ? L.moeLayers * (activeLayerParams(L.moe) - router) : 0);
  const normParams = spec.layers * (2 * h + (spec.mla ? (spec.mla.qLoraRank ?? 0) + spec.mla.kvLoraRank : 0)) + h;
  const lmHeadParams = spec.vocabSize * h;
  const embeddingParams = spec.tiedEmbeddings ? lmHeadParams : 2 * lmHeadParams;
  const routerParams = L.moeLayers * router;
  const other = normParams + embeddingParams + routerParams;
  return {
    params: matmulParams + other,
    activeParams: activeMatmul + other,
    weightBytes: matmulParams * spec.dtypeBytes + other * highPrecisionBytes(spec),
    kvBytesPerToken: spec.layers * kvBytesPerTokenLayer(spec),
    linearFlopsPerToken: 2 * (activeMatmul + routerParams + lmHeadParams),
    layerLinearParams: activeLayerParams(L.moe ?? L.dense) - router,
    lmHeadParams,
  };
}
