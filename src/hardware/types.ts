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
  costPerHour: number;
  /** Roofline efficiency factors; absent means the datasheet defaults of the timing model. */
  efficiency?: RooflineEfficiency;
}

export interface RooflineEfficiency {
  /** Achieved fraction of peak FLOPS on large matrix multiplies. */
  mfu: number;
  /** Achieved fraction of peak memory bandwidth when streaming weights/KV. */
  mbu: number;
  /** Fixed time per forward step (kernel launches, scheduling, sampling), seconds. */
  stepOverheadS: number;
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
  /** Where these numbers came from ("calibrated against ..." or "datasheet default"). */
  source: string;
}

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
  /** Bytes per weight/KV element (2 for BF16/FP16, 1 for FP8). */
  dtypeBytes: number;
  maxModelLen: number;
  /** Whether input and output embeddings are shared. */
  tiedEmbeddings?: boolean;
}

/** Quantities derived from a ModelSpec. */
export interface ModelDerived {
  params: number;
  weightBytes: number;
  kvBytesPerToken: number;
  /** Linear-layer FLOPs per token (2 x non-embedding matmul params + LM head). */
  linearFlopsPerToken: number;
  /** Matmul weights of one transformer layer (QKV, O, gate+up, down), in parameters. */
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
}

/** "How long does this batch step take on this GPU for this model at this tensor parallelism." */
export interface TimingModel {
  readonly name: string;
  /** Step duration in seconds. Must be > 0 for a non-empty batch. Hot path: must not allocate. */
  stepTime(batch: BatchShape): number;
}
