/**
 * vLLM's CUDA-graph capture sizes, and the padding of a step to the size it replays.
 *
 * vLLM captures graphs for token counts [1, 2, 4] + range(8, 256, 8) + range(256, max + 1, 16),
 * max = min(2 x max_num_seqs, 512, max_num_batched_tokens), plus max_num_batched_tokens itself
 * when it is at most max (vllm-project/vllm@000fc94b:vllm/config/vllm.py,
 * VllmConfig._set_cudagraph_sizes; the 2 x max_num_seqs rule is in the --max-cudagraph-capture-size
 * help of the v0.11+ releases). A step of at most the largest size replays the smallest captured
 * size that holds it: the padded rows run through every matmul, all-reduce and MoE router like
 * real tokens (their inputs are whatever the persistent buffers held), so a padded decode batch
 * reads the experts its padding routes to. Larger steps run eagerly.
 */

/** The grid of default capture sizes: the smallest one holding `tokens` (rounded up). */
function gridUp(tokens: number): number {
  if (tokens <= 4) return tokens === 3 ? 4 : tokens;
  if (tokens <= 256) return Math.ceil(tokens / 8) * 8;
  return 256 + Math.ceil((tokens - 256) / 16) * 16;
}

/** The largest default capture size at most `limit`. */
function gridDown(limit: number): number {
  if (limit < 8) return limit >= 4 ? 4 : limit >= 2 ? 2 : limit;
  if (limit < 256) return Math.floor(limit / 8) * 8;
  return 256 + Math.floor((limit - 256) / 16) * 16;
}

/**
 * The largest step that replays a CUDA graph under vLLM's default sizes: the last captured
 * size. max_num_batched_tokens caps the list and is a size of its own when it is the cap.
 */
export function cudaGraphMaxTokens(maxNumSeqs: number, batchedTokens: number): number {
  const limit = Math.min(2 * maxNumSeqs, 512, batchedTokens);
  return batchedTokens <= limit ? batchedTokens : gridDown(limit);
}

/**
 * The captured size a step of `tokens` tokens is padded to, or `tokens` itself when it runs
 * eagerly (more than `maxTokens`, from cudaGraphMaxTokens). The largest size is the only one
 * that can be off the grid (max_num_batched_tokens as the cap), so capping the grid at it is
 * the whole list.
 */
export function cudaGraphPaddedTokens(tokens: number, maxTokens: number): number {
  if (tokens > maxTokens || tokens <= 0) return tokens;
  return Math.min(gridUp(tokens), maxTokens);
}
