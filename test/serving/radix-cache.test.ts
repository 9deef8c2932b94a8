/** SGLang's radix cache on constructed trees: matching, locking and LRU leaf eviction. */
import { describe, expect, it } from 'vitest';
import { RadixCache, type RadixNode } from '../../src/serving/index.js';

/** Inserts a chain of blocks of `pages` pages below `from`, as a finished prefill hands them over. */
function insertChain(cache: RadixCache, hashes: number[], pages = 2, from: RadixNode = cache.root): RadixNode {
  let node = from;
  for (const h of hashes) {
    cache.allocate(pages);
    const r = cache.insert(node, h, pages);
    if (r.existed) cache.release(pages);
    node = r.node;
  }
  return node;
}

describe('RadixCache', () => {
  it('counts pages x (locks - 1) over nodes several sequences lock, and those pages, through lock and unlock', () => {
    const cache = new RadixCache(40, 1);
    const a = insertChain(cache, [1, 2, 3]); // 1 -> 2 -> 3, 2 pages each
    const b = insertChain(cache, [1, 4]); // 4 under 1
    cache.lock(a);
    expect([cache.repeats.repeatBlocks, cache.repeats.sharedBlocks]).toEqual([0, 0]);
    cache.lock(b); // node 1 locked twice
    expect([cache.repeats.repeatBlocks, cache.repeats.sharedBlocks]).toEqual([2, 2]);
    cache.lock(a); // 1 three times, 2 and 3 twice
    expect([cache.repeats.repeatBlocks, cache.repeats.sharedBlocks]).toEqual([2 * 2 + 2 + 2, 6]);
    expect(cache.checkInvariants()).toBeNull();
    cache.unlock(a);
    cache.unlock(b);
    expect([cache.repeats.repeatBlocks, cache.repeats.sharedBlocks]).toEqual([0, 0]);
    cache.unlock(a);
    expect(cache.checkInvariants()).toBeNull();
  });

  it('matches the longest cached prefix, block by block, up to the limit', () => {
    const cache = new RadixCache(20, 1);
    insertChain(cache, [1, 2, 3]);
    insertChain(cache, [1, 4]);
    expect(cache.match([1, 2, 3], 3, 2)).toBe(3);
    expect(cache.match([1, 2, 9], 3, 2)).toBe(2);
    expect(cache.match([1, 4, 3], 3, 2)).toBe(2);
    expect(cache.match([1, 2, 3], 1, 2)).toBe(1);
    expect(cache.match([5], 1, 2)).toBe(0);
    expect(cache.lastMatch).toBe(cache.root);
    // A block cached with another page count covers another span: no match.
    expect(cache.match([1], 1, 4)).toBe(0);
    // Shared blocks are stored once: 4 nodes of 2 pages.
    expect(cache.cachedNodes).toBe(4);
    expect(cache.evictable).toBe(8);
    expect(cache.checkInvariants()).toBeNull();
  });

  it('evicts unlocked leaves least recently used first; a parent goes once it is a leaf', () => {
    const cache = new RadixCache(10, 1);
    insertChain(cache, [1, 2, 3]); // nodes 1, 2, 3
    insertChain(cache, [1, 4]); // node 4 under 1
    // Touch 1 -> 4: the path 1, 2, 3 is older. Lock 4 (a running request): 1 and 4 protected.
    cache.match([1, 4], 2, 2);
    const n4 = cache.lastMatch;
    cache.lock(n4);
    expect([cache.available, cache.evictable, cache.protected, cache.used]).toEqual([6, 4, 4, 4]);
    cache.evict(2);
    expect(cache.match([1, 2, 3], 3, 2)).toBe(2); // 3 went first
    cache.evict(2);
    expect(cache.match([1, 2, 3], 3, 2)).toBe(1); // then 2, a leaf once 3 was gone
    cache.evict(2);
    // 1 still has the locked 4 below it: nothing else can go.
    expect(cache.match([1, 4], 2, 2)).toBe(2);
    expect(cache.available).toBe(10 - 4);
    expect(cache.checkInvariants()).toBeNull();
    cache.unlock(n4);
    cache.evict(4);
    expect(cache.cachedNodes).toBe(0);
    expect(cache.available).toBe(10);
    expect(cache.checkInvariants()).toBeNull();
  });

  it('a later access moves a leaf back in the eviction order', () => {
    const cache = new RadixCache(10, 1);
    insertChain(cache, [1]);
    insertChain(cache, [2]);
    cache.match([1], 1, 2); // 1 is now newer than 2
    cache.evict(1);
    expect(cache.match([1], 1, 2)).toBe(1);
    expect(cache.match([2], 1, 2)).toBe(0);
    expect(cache.checkInvariants()).toBeNull();
  });

  it('allocating past the free pages evicts; a duplicate insert keeps one copy', () => {
    const cache = new RadixCache(6, 1);
    insertChain(cache, [1, 2]);
    insertChain(cache, [1, 2]); // the second copy is released
    expect(cache.cachedNodes).toBe(2);
    expect(cache.available).toBe(6);
    cache.allocate(5); // 2 free + evict both nodes
    expect(cache.cachedNodes).toBe(0);
    expect(cache.used).toBe(5);
    expect(cache.checkInvariants()).toBeNull();
    expect(() => cache.allocate(2)).toThrow(/exhausted/);
  });

  it('reports broken accounting', () => {
    const cache = new RadixCache(10, 1);
    const n = insertChain(cache, [1, 2]);
    cache.lock(n);
    expect(cache.checkInvariants()).toBeNull();
    n.lockRef = 0;
    expect(cache.checkInvariants()).toMatch(/node 2: evictable leaf/);
  });
});
