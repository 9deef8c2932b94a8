import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseShard, shardPoints } from '../../src/experiment/shard.js';
import { InputError } from '../../src/input-error.js';

describe('shards', () => {
  it('cover every point exactly once, whatever N', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 20 }), (n, count) => {
        const points = Array.from({ length: n }, (_, i) => i);
        const seen = new Map<number, number>();
        for (let k = 1; k <= count; k++) {
          const part = shardPoints(points, parseShard(`${k}/${count}`));
          // Balanced: sizes differ by at most one.
          expect(Math.abs(part.length - n / count)).toBeLessThan(1);
          for (const p of part) seen.set(p, (seen.get(p) ?? 0) + 1);
        }
        expect([...seen.keys()].sort((a, b) => a - b)).toEqual(points);
        expect([...seen.values()].every((c) => c === 1)).toBe(true);
      }),
    );
  });

  it('are the same on every call (deterministic)', () => {
    const points = Array.from({ length: 10 }, (_, i) => `p${i}`);
    expect(shardPoints(points, { index: 2, count: 3 })).toEqual(['p1', 'p4', 'p7']);
    expect(shardPoints(points, undefined)).toEqual(points);
  });

  it('reject specs outside 1..N with one line', () => {
    for (const spec of ['0/4', '5/4', '1/0', '3', 'a/b', '-1/2', '2/']) {
      expect(() => parseShard(spec)).toThrow(InputError);
    }
    expect(() => parseShard('5/4')).toThrow('--shard 5/4: k must be in 1..4');
    expect(parseShard(' 3/4 ')).toEqual({ index: 3, count: 4 });
  });
});
