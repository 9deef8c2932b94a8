/**
 * The KV memory of one instance as its scheduler sees it: a pool of fixed-size pages (blocks)
 * and a prefix cache whose unreferenced pages are reclaimed on demand. vLLM's hashed block cache
 * and SGLang's radix tree both sit behind this.
 */
export interface KvManager {
  /** Tokens per page (vLLM `block_size`, SGLang `page_size`). */
  readonly blockSize: number;
  readonly totalBlocks: number;
  /** Pages that can be allocated now: free plus cached-but-unreferenced (evictable). */
  readonly available: number;
  /** Pages held by sequences, privately or through a referenced prefix-cache entry. */
  readonly used: number;
  /** Prompt tokens looked up in the prefix cache, and of those found there (hit-rate metric). */
  queriedTokens: number;
  hitTokens: number;
  /** Takes `n` pages, evicting unreferenced cached pages if needed. Caller checks `available` first. */
  allocate(n: number): void;
  /** Returns `n` privately held pages. */
  release(n: number): void;
  /** What is wrong with the pool's accounting, or null when its invariants hold. O(cache size). */
  checkInvariants(): string | null;
}
