import type { RequestView } from './types.js';

/**
 * Mapping a router's block hashing onto the requests' prefix hashes.
 *
 * Production routers hash the prompt themselves: AIBrix `prefix-cache` chains xxhash64 over
 * fixed blocks of tokens, llm-d chains xxh64 over 4-chars-per-token blocks, Dynamo uses the
 * engine's KV block hashes, SGLang walks characters. Our requests carry `prefixHashes` instead:
 * chained hashes of `hashBlockTokens`-token blocks, where equal hash at equal position means equal
 * content up to and including that block. A router that hashes B-token blocks sees block j as the
 * tokens [jB, (j+1)B); when B = m * hashBlockTokens, that block's chained identity is
 * `prefixHashes[(j + 1) * m - 1]`. When B is not a multiple of hashBlockTokens the nearest
 * multiple (at least 1) is used, and the policy warns once.
 *
 * `prefixHashes` covers only the part of the prompt other requests may share; the remaining
 * blocks of the prompt are unique to the request and can never match anything. Routers still
 * count them in denominators ("blocks of this prompt") and, where it matters, in index capacity.
 */

/**
 * Characters per token, for routers that hash the prompt's characters rather than its tokens
 * (AIBrix's default "character" tokenizer: one byte per unit). 4.4 is the ratio of prompt
 * characters to Llama-3 tokens over BIRD Mini-Dev's 500 prompts (4.35 with Qwen2.5's tokenizer;
 * shared/data/bird_minidev/bird_minidev_token_lengths.csv), about the usual 4 for English text;
 * 4 is used.
 */
export const CHARS_PER_TOKEN = 4;

/**
 * Tokens a router block of `chars` characters stands for (AIBrix prefix-cache and pd with the
 * deployed character tokenizer and AIBRIX_PREFIX_CACHE_BLOCK_SIZE=128: 128 bytes, about 32 tokens).
 */
export function characterBlockTokens(chars: number, charsPerToken = CHARS_PER_TOKEN): number {
  return Math.max(1, Math.round(chars / charsPerToken));
}

/** Stride m (router block = m request blocks) for a wanted router block size in tokens. */
export function blockStride(req: RequestView, wantedBlockTokens: number | undefined): number {
  const h = req.hashBlockTokens > 0 ? req.hashBlockTokens : 1;
  if (wantedBlockTokens === undefined || wantedBlockTokens <= 0) return 1;
  return Math.max(1, Math.round(wantedBlockTokens / h));
}

/** Number of whole router blocks covered by the request's shared prefix hashes. */
export function sharedBlocks(req: RequestView, stride: number): number {
  return Math.floor(req.prefixHashes.length / stride);
}

/** Chained hash of router block j (0-based) of the request. */
export function blockHash(req: RequestView, stride: number, j: number): number {
  return req.prefixHashes[(j + 1) * stride - 1];
}
