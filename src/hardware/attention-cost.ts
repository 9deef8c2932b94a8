/**
 * Time of the attention kernels of one step on one GPU: one call per layer over all sequences
 * of the step (vLLM V1 runs prefill chunks and decodes through one varlen kernel). Per layer:
 *
 *   fixed                                    (once per call: launch, scheduling of the grid)
 * + decodeSeqs x (perSeq + kvHeads x perSeqHead)  (work items: one per sequence and KV head)
 * + sqrt(compute^2 + kvRead^2)              (FLOPs over peak x mfu; KV bytes over bandwidth x mbu)
 *
 * with kvRead = (context tokens + padTokens per decoding sequence - repeat reads served by L2)
 * x KV bytes per token: a decode kernel reads KV in whole tiles, about half a tile too much per
 * sequence on average. The constants are fitted to measured kernel tables
 * (`fitDecodeAttention`, docs/timing.md).
 *
 * Repeat reads: when several sequences of the step reference the same prefix-cache blocks (a
 * shared system prompt), the kernel's thread blocks read the same pages within the same layer
 * call; while those pages fit in L2, only the first read goes to HBM. Beyond L2 the served share
 * falls in proportion (l2Tokens / distinct shared tokens).
 */
import type { AttentionEfficiency, GpuSpec } from './types.js';

/** What attention touches per layer and rank, from the model and the tensor parallelism. */
export interface AttentionShape {
  /** Query heads on one rank. */
  headsPerRank: number;
  /** KV heads one rank reads (MLA: 1, the shared latent). */
  kvHeadsPerRank: number;
  /** FLOPs per (query, key) pair and query head: prefill (expanded) and decode (MLA: absorbed). */
  prefillPairFlops: number;
  decodePairFlops: number;
  /** KV-cache bytes per token, layer and rank. */
  kvBytesPerToken: number;
}

/** Per-layer constants of the attention formula for one (GPU, model, tp). */
export interface AttentionCost {
  fixed: number;
  /** Seconds per decoding sequence (perSeq + kvHeads x perSeqHead). */
  perDecodeSeq: number;
  padTokens: number;
  /** Seconds per prefill pair, per decode pair, per KV token read. */
  prefillPair: number;
  decodePair: number;
  kvToken: number;
  /** KV tokens of one layer and rank that fit in the GPU's L2 (0: no repeat-read reuse). */
  l2Tokens: number;
}

export function attentionCost(s: AttentionShape, gpu: GpuSpec, a: Required<AttentionEfficiency>, decodeMfu: number): AttentionCost {
  const peak = gpu.bf16Tflops * 1e12; // attention runs in 16 bit
  return {
    fixed: a.fixedS,
    perDecodeSeq: a.perSeqS + s.kvHeadsPerRank * a.perSeqHeadS,
    padTokens: a.padTokens,
    prefillPair: (s.headsPerRank * s.prefillPairFlops) / (peak * a.prefillMfu),
    decodePair: (s.headsPerRank * s.decodePairFlops) / (peak * decodeMfu),
    kvToken: s.kvBytesPerToken / (gpu.memoryBandwidthGBs * 1e9 * a.mbu),
    l2Tokens: ((gpu.l2CacheMB ?? 0) * 1e6) / s.kvBytesPerToken,
  };
}

/** Seconds of one layer's attention call for a decode-only batch (what the kernel tables measure). */
export function decodeAttentionSeconds(c: AttentionCost, seqs: number, contextTokens: number): number {
  if (seqs <= 0) return 0;
  const compute = contextTokens * c.decodePair;
  const memory = (contextTokens + seqs * c.padTokens) * c.kvToken;
  return c.fixed + seqs * c.perDecodeSeq + Math.sqrt(compute * compute + memory * memory);
}

/** Seconds of one layer's attention call for prefill chunks alone (`pairs` token pairs, `kvTokens` read). */
export function prefillAttentionSeconds(c: AttentionCost, seqs: number, pairs: number, kvTokens: number): number {
  if (seqs <= 0) return 0;
  const compute = pairs * c.prefillPair;
  const memory = kvTokens * c.kvToken;
  return c.fixed + Math.sqrt(compute * compute + memory * memory);
}

/** Of `sharedTokens` repeat reads over `distinctTokens` shared tokens, how many L2 serves. */
export function l2ServedTokens(c: AttentionCost, sharedTokens: number, distinctTokens: number): number {
  if (sharedTokens <= 0 || c.l2Tokens <= 0) return 0;
  return distinctTokens <= c.l2Tokens ? sharedTokens : (sharedTokens * c.l2Tokens) / distinctTokens;
}

/**
 * Seconds of one layer's attention call for a whole step, prefill chunks and decodes together.
 * Reduces to the two functions above when one side is empty and nothing is shared. Hot path:
 * no allocation.
 */
export function stepAttentionSeconds(
  c: AttentionCost,
  seqs: number,
  decodeSeqs: number,
  prefillPairs: number,
  decodeContext: number,
  kvTokens: number,
  sharedTokens: number,
  sharedDistinctTokens: number,
): number {
  if (seqs <= 0) return 0;
  const compute = prefillPairs * c.prefillPair + decodeContext * c.decodePair;
  const read = kvTokens + decodeSeqs * c.padTokens - l2ServedTokens(c, sharedTokens, sharedDistinctTokens);
  const memory = read * c.kvToken;
  return c.fixed + decodeSeqs * c.perDecodeSeq + Math.sqrt(compute * compute + memory * memory);
}
