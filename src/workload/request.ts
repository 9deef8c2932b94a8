import type { RequestSpec } from './types.js';

/** Shared by every request that shares nothing, so such requests allocate no array. */
export const NO_PREFIX: readonly number[] = Object.freeze([]);

/** `hashBlockTokens` of requests without prefix hashes: vLLM's KV block size. */
export const DEFAULT_BLOCK_TOKENS = 16;

/**
 * Builds a request with every field present in the same order, so all requests share one hidden
 * class. `id` is -1 until the workload stream numbers it.
 */
export function newRequest(
  workloadClass: string,
  arrival: number,
  promptTokens: number,
  outputTokens: number,
  prefixHashes: readonly number[],
  hashBlockTokens: number,
  sessionId: string | undefined,
): RequestSpec {
  return {
    id: -1,
    arrival,
    promptTokens,
    outputTokens,
    workloadClass,
    prefixHashes,
    hashBlockTokens,
    sessionId,
  };
}
