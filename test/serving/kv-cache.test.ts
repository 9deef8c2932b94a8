import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KvCache } from '../../src/serving/kv-cache.js';

describe('KvCache repeat-read counters', () => {
  it('count blocks x (references - 1) and the blocks referenced more than once', () => {
    const kv = new KvCache(100, 16);
    kv.allocate(4);
    expect(kv.publish(1, 2)).toBe(true); // a 2-block entry, one reference
    expect(kv.publish(2, 2)).toBe(true);
    expect([kv.repeats.repeatBlocks, kv.repeats.sharedBlocks]).toEqual([0, 0]);
    expect(kv.acquirePrefix([1, 2], 2, 2)).toBe(2); // a second sequence on both entries
    expect([kv.repeats.repeatBlocks, kv.repeats.sharedBlocks]).toEqual([4, 4]);
    expect(kv.acquirePrefix([1], 1, 2)).toBe(1); // a third on the first entry
    expect([kv.repeats.repeatBlocks, kv.repeats.sharedBlocks]).toEqual([6, 4]);
    kv.releasePrefix([1, 2], 2);
    expect([kv.repeats.repeatBlocks, kv.repeats.sharedBlocks]).toEqual([2, 2]);
    kv.releasePrefix([1], 1);
    kv.releasePrefix([1, 2], 2);
    expect([kv.repeats.repeatBlocks, kv.repeats.sharedBlocks, kv.used]).toEqual([0, 0, 0]);
    expect(kv.checkInvariants()).toBeNull();
  });

  it('a copy published under a hash already cached references the cached entry', () => {
    const kv = new KvCache(10, 16);
    kv.allocate(2);
    kv.publish(9, 1);
    kv.publish(9, 1); // the second sequence's own copy goes back to the pool
    expect([kv.repeats.repeatBlocks, kv.repeats.sharedBlocks, kv.used]).toEqual([1, 1, 1]);
  });

  it('stay equal to a recount over any sequence of acquires and releases', () => {
    const op = fc.record({ seq: fc.integer({ min: 0, max: 3 }), entries: fc.integer({ min: 0, max: 4 }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const kv = new KvCache(1000, 16);
        const hashes = [1, 2, 3, 4];
        kv.allocate(4);
        for (const h of hashes) kv.publish(h, 1);
        kv.releasePrefix(hashes, 4); // cached, unreferenced
        const held = [0, 0, 0, 0];
        for (const { seq, entries } of ops) {
          if (held[seq] > 0) {
            kv.releasePrefix(hashes, held[seq]);
            held[seq] = 0;
          } else {
            held[seq] = kv.acquirePrefix(hashes, entries, 1);
          }
          expect(kv.checkInvariants()).toBeNull();
        }
        const refs = hashes.map((_, i) => held.filter((n) => n > i).length);
        expect(kv.repeats.repeatBlocks).toBe(refs.reduce((a, r) => a + Math.max(0, r - 1), 0));
        expect(kv.repeats.sharedBlocks).toBe(refs.filter((r) => r > 1).length);
      }),
    );
  });
});
