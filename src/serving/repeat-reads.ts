/**
 * Repeat KV reads of a paged cache: over cached block groups (vLLM prefix entries, SGLang radix
 * nodes) referenced by more than one sequence, blocks x (references - 1) and the blocks
 * themselves. Kept on every reference change, so a step reads them in O(1); the attention cost
 * credits the repeat reads that L2 serves (docs/timing.md).
 */
export class RepeatReads {
  repeatBlocks = 0;
  sharedBlocks = 0;

  /** A group of `blocks` that had `before` references gained one. */
  referenced(blocks: number, before: number): void {
    if (before < 1) return;
    this.repeatBlocks += blocks;
    if (before === 1) this.sharedBlocks += blocks;
  }

  /** A group of `blocks` lost a reference and has `after` left. */
  released(blocks: number, after: number): void {
    if (after < 1) return;
    this.repeatBlocks -= blocks;
    if (after === 1) this.sharedBlocks -= blocks;
  }

  /** Null when the counts equal a recount over `groups` ([blocks, references] each), else why not. */
  check(groups: Iterable<readonly [number, number]>): string | null {
    let repeat = 0;
    let shared = 0;
    for (const [blocks, refs] of groups) {
      if (refs > 1) {
        repeat += blocks * (refs - 1);
        shared += blocks;
      }
    }
    if (repeat !== this.repeatBlocks) return `repeat blocks ${this.repeatBlocks} != counted ${repeat}`;
    if (shared !== this.sharedBlocks) return `shared blocks ${this.sharedBlocks} != counted ${shared}`;
    return null;
  }
}
