/** Datasheet facts about one GPU model. Units: TFLOPS, GB (1e9 bytes), GB/s, USD per hour. */
export interface GpuSpec {
  name: string;
  /** Other spellings accepted by the catalog ("A100" for "A100-80GB"). */
  aliases?: string[];
  /** Dense BF16/FP16 tensor TFLOPS (no sparsity). */
  bf16Tflops: number;
  /** Dense FP8 TFLOPS, where the GPU has FP8. */
  fp8Tflops?: number;
  memoryGB: number;
  memoryBandwidthGBs: number;
  /**
   * Intra-node GPU-to-GPU link used by tensor-parallel all-reduce. `bandwidthGBs` is per
   * direction (NVLink datasheets print the bidirectional total: 900 GB/s there is 450 here).
   */
  interconnect: { kind: 'nvlink' | 'pcie'; bandwidthGBs: number };
  tdpWatts?: number;
  /**
   * Last-level (L2) cache, MB. Decode attention reads the KV blocks that several running
   * sequences share (a common system prompt) from HBM once per step while they fit in it.
   * Absent: 0, no such reuse.
   */
  l2CacheMB?: number;
  costPerHour: number;
  /** Roofline efficiency factors; absent means the datasheet defaults of the timing model. */
  efficiency?: RooflineEfficiency;
  /**
   * calibrated: fitted to kernel or operator measurements of this GPU; serving-fit: fitted to
   * serving-level numbers only; inferred: taken from a sibling GPU; datasheet: no measurement.
   * Absent: datasheet.
   */
  calibration?: { status: CalibrationStatus; source: string };
}

export interface RooflineEfficiency {
  /** Achieved fraction of peak FLOPS on large matrix multiplies. */
  mfu: number;
  /** Achieved fraction of peak memory bandwidth when streaming weights/KV. */
  mbu: number;
  /**
   * Fraction of peak bandwidth reached by the small per-token kernels around the matmuls
   * (norms, rotary, activation, residual add). Absent: 0.6 x mbu.
   */
  elementwiseMbu?: number;
  /** Fixed time per transformer layer: the floor of its ~10 kernels, seconds. Absent: 0. */
  layerOverheadS?: number;
  /**
   * Matmul tile height in tokens: compute time is charged for the token count rounded up to a
   * multiple of it (cuBLAS pads partial tiles). Absent or 1: no rounding.
   */
  gemmTileTokens?: number;
  /**
   * Fixed time per transformer layer when the step replays a CUDA graph (vLLM captures steps
   * of up to 512 tokens), seconds. Absent: half of layerOverheadS (docs/timing.md).
   */
  graphLayerOverheadS?: number;
  /** Attention kernel constants; absent: DATASHEET_ATTENTION with this GPU's mbu. */
  attention?: AttentionEfficiency;
  /**
   * Measured all-reduce latency and bus bandwidth per TP degree; absent or null (to drop a fit
   * inherited with `<<:` or `extends:`): the link formula.
   */
  allReduce?: AllReduceFit | null;
  /** Where these numbers came from ("calibrated against ..." or "datasheet default"). */
  source: string;
}

/** Constants of the attention formula (src/hardware/attention-cost.ts). */
export interface AttentionEfficiency {
  /** Seconds per layer and call. */
  fixedS: number;
  /** Seconds per decoding sequence, and per decoding sequence and KV head on the rank. */
  perSeqS: number;
  perSeqHeadS: number;
  /** KV tokens read beyond the context per decoding sequence (partial tiles). */
  padTokens: number;
  /** Achieved fraction of peak bandwidth reading KV. */
  mbu: number;
  /** Achieved fraction of peak BF16 FLOPS in prefill attention. */
  prefillMfu: number;
  source?: string;
}

/** All-reduce time = latencyS + bytes x 2(tp-1)/tp / (busGBs x 1e9), per measured TP degree. */
export interface AllReduceFit {
  points: { tp: number; latencyS: number; busGBs: number }[];
  source: string;
}

/** How far a GPU's timing constants rest on measurements of that GPU. */
export type CalibrationStatus = 'calibrated' | 'serving-fit' | 'inferred' | 'datasheet';

/** Architecture facts about one model. */
export interface ModelSpec {
  name: string;
  /** Other spellings accepted by the catalog ("Llama-3-8B" for "Llama-3.1-8B"). */
  aliases?: string[];
  layers: number;
  hiddenSize: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediateSize: number;
  vocabSize: number;
  /**
   * Bytes per matmul weight element (2 for BF16/FP16, 1 for FP8). Embeddings, the LM head and
   * norms of an FP8 checkpoint stay in BF16, as FP8 checkpoints ship them.
   */
  dtypeBytes: number;
  /** Bytes per KV-cache element; absent: dtypeBytes (vLLM's kv_cache_dtype "fp8" is 1). */
  kvDtypeBytes?: number;
  maxModelLen: number;
  /** Whether input and output embeddings are shared. */
  tiedEmbeddings?: boolean;
  /** Mixture-of-experts MLP; absent: every layer has the dense MLP of `intermediateSize`. */
  moe?: MoeSpec;
  /** Multi-head latent attention (DeepSeek-V2/V3); absent: grouped-query attention. */
  mla?: MlaSpec;
  /**
   * The model's generation_config.json sets top_p or top_k. vLLM applies those as the default
   * sampling parameters of requests that set none (benchmark clients set none), and its sampler
   * then sorts every row's full-vocabulary logits each step (src/hardware/sampler-cost.ts).
   */
  topPSampling?: boolean;
}

/** A mixture-of-experts MLP (Hugging Face config names in brackets). */
export interface MoeSpec {
  /** Routed experts per MoE layer [num_local_experts, num_experts, n_routed_experts]. */
  experts: number;
  /** Routed experts each token uses [num_experts_per_tok]. */
  activeExperts: number;
  /** FFN width of one routed expert [moe_intermediate_size; Mixtral: intermediate_size]. */
  expertIntermediateSize: number;
  /** Experts every token uses besides the routed ones [n_shared_experts]. Absent: 0. */
  sharedExperts?: number;
  /** FFN width of one shared expert. Absent: expertIntermediateSize. */
  sharedExpertIntermediateSize?: number;
  /** Leading layers with the dense MLP of `intermediateSize` [first_k_dense_replace]. Absent: 0. */
  denseLayers?: number;
}

/**
 * Multi-head latent attention: keys and values are cached as one compressed latent vector per
 * token and layer (kvLoraRank) plus a shared rotary key (qkRopeHeadDim), for all heads at once.
 */
export interface MlaSpec {
  /** Rank of the query compression [q_lora_rank]; absent: queries are projected directly. */
  qLoraRank?: number;
  /** Rank of the KV latent [kv_lora_rank]. */
  kvLoraRank: number;
  /** Per-head query/key dims without and with rotary embedding [qk_nope_head_dim, qk_rope_head_dim]. */
  qkNopeHeadDim: number;
  qkRopeHeadDim: number;
  /** Per-head value dim [v_head_dim]. */
  vHeadDim: number;
}

/** Quantities derived from a ModelSpec. */
export interface ModelDerived {
  /** All parameters (every expert counted). */
  params: number;
  /** Parameters one token uses: shared weights plus its active experts. Equals params for dense models. */
  activeParams: number;
  weightBytes: number;
  kvBytesPerToken: number;
  /** Linear-layer FLOPs per token (2 x active non-embedding matmul params + LM head). */
  linearFlopsPerToken: number;
  /**
   * Matmul weights of one dense transformer layer (QKV, O, gate+up, down), in parameters. For
   * MoE models: of one MoE layer, counting the active experts only.
   */
  layerLinearParams: number;
  /** Parameters of the output projection (vocab x hidden), counted once even when tied. */
  lmHeadParams: number;
}

/**
 * The shape of one engine step: what the timing model needs to know about a batch.
 * Prefill chunks and decode sequences may share a step (chunked prefill).
 */
export interface BatchShape {
  /** Number of prompt tokens computed in this step, summed over prefill chunks. */
  prefillTokens: number;
  /** Number of sequences with a prefill chunk in this step. */
  prefillSeqs: number;
  /**
   * Sum over prefill chunks of chunkTokens x (tokens already in context + chunkTokens / 2):
   * the attention work of the chunks, in token-pairs.
   */
  prefillAttentionPairs: number;
  /** Sum over prefill chunks of tokens read from KV (prior context) plus the chunk itself. */
  prefillContextTokens: number;
  /** Number of sequences decoding one token in this step. */
  decodeSeqs: number;
  /** Sum of context lengths (tokens in KV) over decoding sequences. */
  decodeContextTokens: number;
  /**
   * KV tokens of the step that are repeat reads: tokens of prefix-cache blocks that more than
   * one sequence of the step references, counted once per reference after the first.
   */
  sharedKvTokens: number;
  /** Distinct tokens of those shared blocks (what must fit in L2 for the repeat reads to hit it). */
  sharedKvDistinctTokens: number;
}

/** "How long does this batch step take on this GPU for this model at this tensor parallelism." */
export interface TimingModel {
  readonly name: string;
  /** Step duration in seconds. Must be > 0 for a non-empty batch. Hot path: must not allocate. */
  stepTime(batch: BatchShape): number;
}
