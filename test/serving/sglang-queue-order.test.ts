/** SGLang's schedule policies on constructed waiting queues over a constructed radix tree. */
import { describe, expect, it } from 'vitest';
import { RadixCache, Sequence, type RadixNode } from '../../src/serving/index.js';
import { SglangQueueOrder } from '../../src/serving/sglang-queue-order.js';

const HBT = 16;

function tree(chains: number[][]): RadixCache {
  const cache = new RadixCache(1000, 1);
  for (const chain of chains) {
    let node: RadixNode = cache.root;
    for (const h of chain) {
      cache.allocate(HBT);
      const r = cache.insert(node, h, HBT);
      if (r.existed) cache.release(HBT);
      node = r.node;
    }
  }
  return cache;
}

function seq(id: number, promptTokens: number, prefixHashes: number[]): Sequence {
  return new Sequence({ id, promptTokens, outputTokens: 1, prefixHashes, hashBlockTokens: HBT }, 0);
}

function ordering(policy: 'fcfs' | 'lpm' | 'dfs-weight', cache: RadixCache, queue: Sequence[]): number[] {
  const order = new SglangQueueOrder(policy, cache, (s) => {
    const limit = Math.min(s.req.prefixHashes.length, Math.floor((s.prefillTarget - 1) / HBT));
    s.matchedBlocks = cache.match(s.req.prefixHashes, limit, HBT);
    s.matchNode = cache.lastMatch;
  });
  const q = [...queue];
  order.order(q);
  return q.map((s) => s.req.id);
}

describe('SGLang schedule policies', () => {
  // Cached: 1 -> 2 -> 3. a matches nothing, b three blocks, c one.
  const cache = tree([[1, 2, 3]]);
  const queue = [seq(0, 40, [9]), seq(1, 64, [1, 2, 3]), seq(2, 40, [1, 5])];

  it('fcfs keeps arrival order', () => {
    expect(ordering('fcfs', cache, queue)).toEqual([0, 1, 2]);
  });

  it('lpm puts the longest cached prefix first', () => {
    expect(ordering('lpm', cache, queue)).toEqual([1, 2, 0]);
  });

  it('lpm defers a request sharing 32+ tokens with an earlier waiting one (in-batch prefix caching)', () => {
    // d and e share blocks 7, 8 (32 tokens) and nothing is cached: e waits behind f.
    const q = [seq(3, 40, [7, 8]), seq(4, 60, [7, 8, 6]), seq(5, 40, [9])];
    expect(ordering('lpm', cache, q)).toEqual([3, 5, 4]);
  });

  it('lpm falls back to fcfs above 128 waiting requests', () => {
    const long = Array.from({ length: 129 }, (_, i) => seq(100 + i, 64, i === 128 ? [1, 2, 3] : [9]));
    expect(ordering('lpm', cache, long)[128]).toBe(228);
  });

  it('dfs-weight walks heavier subtrees first, a node after its subtrees', () => {
    // root -> 1 -> {2, 3}: two requests end at 3, one at 2, one at 1, one at the root.
    const t = tree([[1, 2], [1, 3]]);
    const q = [seq(0, 40, [42]), seq(1, 48, [1, 2]), seq(2, 48, [1, 99]), seq(3, 48, [1, 3]), seq(4, 48, [1, 3])];
    expect(ordering('dfs-weight', t, q)).toEqual([3, 4, 1, 2, 0]);
  });

  it('cache-aware policies run fcfs without a radix cache', () => {
    const order = new SglangQueueOrder('lpm', null, () => {});
    const q = [...queue];
    order.order(q);
    expect(q.map((s) => s.req.id)).toEqual([0, 1, 2]);
  });
});
