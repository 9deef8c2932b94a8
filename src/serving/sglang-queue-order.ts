import type { RadixCache, RadixNode } from './radix-cache.js';
import {
  IN_BATCH_PREFIX_CHECK_THRESHOLD,
  IN_BATCH_PREFIX_DEPRIORITIZE_THRESHOLD,
  LPM_MAX_QUEUE,
  type SglangSchedulePolicy,
} from './sglang-config.js';
import type { Sequence } from './sequence.js';

/**
 * SGLang's waiting-queue order (`SchedulePolicy.calc_priority`), ported from
 * sgl-project/sglang@00550cd11b35def9d584bf761a1e32729c20a21d:python/sglang/srt/managers/schedule_policy.py:
 * - fcfs: arrival order (retracted requests rejoin at the back).
 * - lpm: longest cached prefix first; a request whose cached prefix is short but that shares a
 *   prefix with an earlier waiting request waits this round (in-batch prefix caching). Above 128
 *   waiting requests it falls back to fcfs.
 * - dfs-weight: depth-first over the radix tree, heavier subtrees (more waiting requests) first,
 *   a node's own requests after its subtrees.
 * Cache-aware policies need the radix cache; without it SGLang runs fcfs.
 */
export class SglangQueueOrder {
  /** Hashes of the waiting requests seen this round (the in-batch radix tree, by chained hash). */
  private readonly inBatch = new Set<number>();
  private readonly policy: SglangSchedulePolicy;

  constructor(
    policy: SglangSchedulePolicy,
    private readonly cache: RadixCache | null,
    private readonly match: (seq: Sequence) => void,
  ) {
    this.policy = cache ? policy : 'fcfs';
  }

  order(waiting: Sequence[]): void {
    if (this.policy === 'fcfs') return;
    if (this.policy === 'lpm') {
      if (waiting.length > LPM_MAX_QUEUE) return;
      this.markInBatch(waiting);
      waiting.sort(byLongestPrefix);
      return;
    }
    this.dfsWeight(waiting);
  }

  private markInBatch(waiting: Sequence[]): void {
    const seen = this.inBatch;
    seen.clear();
    for (let i = 0; i < waiting.length; i++) {
      const seq = waiting[i];
      this.match(seq);
      seq.deprioritized = false;
      const req = seq.req;
      const hbt = req.hashBlockTokens;
      if (seq.matchedBlocks * hbt > IN_BATCH_PREFIX_CHECK_THRESHOLD || hbt <= 0) continue;
      // With chained hashes, sharing the first ⌈T / block⌉ blocks means sharing ≥ T tokens.
      const probe = Math.ceil(IN_BATCH_PREFIX_DEPRIORITIZE_THRESHOLD / hbt) - 1;
      if (probe < req.prefixHashes.length && seen.has(req.prefixHashes[probe])) {
        seq.deprioritized = true;
      } else {
        for (let j = 0; j < req.prefixHashes.length; j++) seen.add(req.prefixHashes[j]);
      }
    }
  }

  private dfsWeight(waiting: Sequence[]): void {
    const cache = this.cache!;
    for (let i = 0; i < waiting.length; i++) {
      const seq = waiting[i];
      this.match(seq);
      for (let x: RadixNode | null = seq.matchNode; x; x = x.parent) x.dfsWeight++;
    }
    let rank = 0;
    const visit = (node: RadixNode): void => {
      if (node.children) {
        const heavy: RadixNode[] = [];
        for (const c of node.children.values()) if (c.dfsWeight > 0) heavy.push(c);
        heavy.sort((a, b) => b.dfsWeight - a.dfsWeight);
        for (const c of heavy) visit(c);
      }
      node.dfsRank = rank++;
    };
    visit(cache.root);
    waiting.sort((a, b) => a.matchNode!.dfsRank - b.matchNode!.dfsRank);
    for (let i = 0; i < waiting.length; i++) {
      for (let x: RadixNode | null = waiting[i].matchNode; x; x = x.parent) x.dfsWeight = 0;
    }
  }
}

function byLongestPrefix(a: Sequence, b: Sequence): number {
  const ka = a.deprioritized ? Infinity : -a.matchedBlocks * a.req.hashBlockTokens;
  const kb = b.deprioritized ? Infinity : -b.matchedBlocks * b.req.hashBlockTokens;
  return ka === kb ? 0 : ka < kb ? -1 : 1;
}
