import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cheapestCovers, pdCover, pdCovers, type BlockType } from '../../src/plan/cover.js';

const t = (weight: number, capacity: number, max = Infinity, min = 0): BlockType => ({ weight, capacity, min, max });

describe('cheapestCovers', () => {
  // A: $1/h, 1 req/s; B: $3/h, 4 req/s; C: $5/h, 7 req/s; target 10 req/s. By hand: 10 A = $10,
  // 3 B = $9, 2 C = $10, 2 A + 2 B = $8, 3 A + 1 C = $8, 1 B + 1 C = $8 (the fewest instances);
  // nothing reaches 10 req/s for less than $8.
  const types = [t(1, 1), t(3, 4), t(5, 7)];

  it('finds the hand-checked optimum and the next best, mixing types', () => {
    const covers = cheapestCovers(types, 10, { k: 4, maxTypes: 2 });
    expect(covers.map((c) => c.counts)).toEqual([
      [0, 1, 1],
      [3, 0, 1],
      [2, 2, 0],
      [0, 3, 0],
    ]);
    expect(covers.map((c) => c.weight)).toEqual([8, 8, 8, 9]);
    expect(covers[0].capacity).toBe(11);
  });

  it('keeps to one type when mixing is not allowed; equal costs go to the fewer instances', () => {
    expect(cheapestCovers(types, 10, { k: 3, maxTypes: 1 }).map((c) => c.counts)).toEqual([
      [0, 3, 0],
      [0, 0, 2],
      [10, 0, 0],
    ]);
  });

  it('respects maximum counts', () => {
    // At most 2 A and 1 C: 3 A + 1 C is out, 2 A + 2 B and 1 B + 1 C stay.
    const covers = cheapestCovers([t(1, 1, 2), t(3, 4), t(5, 7, 1)], 10, { k: 10, maxTypes: 3 });
    for (const c of covers) expect(c.counts[0] <= 2 && c.counts[2] <= 1).toBe(true);
    expect(covers.slice(0, 2).map((c) => c.counts)).toEqual([
      [0, 1, 1],
      [2, 2, 0],
    ]);
  });

  it('respects minimum counts (a type used at all is used at least min times)', () => {
    // B needs at least 3 instances when used: 2 A + 2 B and 1 B + 1 C are out; 3 A + 1 C is best.
    const covers = cheapestCovers([t(1, 1), t(3, 4, Infinity, 3), t(5, 7)], 10, { k: 5, maxTypes: 2 });
    expect(covers[0].counts).toEqual([3, 0, 1]);
    for (const c of covers) expect(c.counts[1] === 0 || c.counts[1] >= 3).toBe(true);
  });

  it('returns nothing when the bounds cannot reach the target, and ignores types that sustain nothing', () => {
    expect(cheapestCovers([t(1, 1, 3), t(3, 4, 1)], 10, { k: 5, maxTypes: 2 })).toEqual([]);
    expect(cheapestCovers([t(0.1, 0), t(3, 4)], 10, { k: 1, maxTypes: 2 })[0].counts).toEqual([0, 3]);
  });

  it('lists only minimal fleets, the k lightest of them, as an exhaustive search would (property)', () => {
    const typeArb = fc.record({
      weight: fc.integer({ min: 1, max: 9 }),
      capacity: fc.integer({ min: 1, max: 9 }),
      min: fc.integer({ min: 0, max: 3 }),
      max: fc.integer({ min: 1, max: 6 }),
    });
    fc.assert(
      fc.property(
        fc.array(typeArb, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        (raw, target, maxTypes, k) => {
          const types = raw.map((r) => ({ ...r, max: Math.max(r.max, r.min) }));
          const expected = bruteForce(types, target, maxTypes);
          const got = cheapestCovers(types, target, { k, maxTypes });
          expect(got.map((c) => c.weight)).toEqual(expected.slice(0, k).map((c) => c.weight));
          for (const c of got) expect(expected.some((e) => e.counts.join() === c.counts.join())).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** Every count vector within the bounds, kept when it covers and no single reduction still does. */
function bruteForce(types: BlockType[], target: number, maxTypes: number): { counts: number[]; weight: number }[] {
  const allowed = types.map((x) => [0, ...Array.from({ length: x.max }, (_, i) => i + 1).filter((n) => n >= Math.max(1, x.min))]);
  const out: { counts: number[]; weight: number }[] = [];
  const rec = (i: number, counts: number[]) => {
    if (i === types.length) {
      if (counts.filter((n) => n > 0).length > maxTypes) return;
      const cap = (cs: number[]) => cs.reduce((a, n, j) => a + n * types[j].capacity, 0);
      if (cap(counts) < target) return;
      const reducible = counts.some((n, j) => {
        const lower = allowed[j].filter((v) => v < n);
        return lower.length > 0 && cap(counts.map((m, q) => (q === j ? Math.max(...lower) : m))) >= target;
      });
      if (!reducible) out.push({ counts, weight: counts.reduce((a, n, j) => a + n * types[j].weight, 0) });
      return;
    }
    for (const n of allowed[i]) rec(i + 1, [...counts, n]);
  };
  rec(0, []);
  return out.sort((a, b) => a.weight - b.weight);
}

describe('pdCover', () => {
  it('sizes each side for the whole rate (40 req/s: prefill 24 each -> 2, decode 19 each -> 3)', () => {
    expect(pdCover(t(3.78, 24), t(2.2, 19), 40, false)).toEqual({ x: 2, y: 3 });
    expect(pdCovers(t(3.78, 24), t(2.2, 19), 40, false)).toEqual([
      { x: 2, y: 3 },
      { x: 3, y: 3 },
      { x: 2, y: 4 },
    ]);
  });

  it('applies bounds per type, and to x + y when prefill and decode are one type', () => {
    expect(pdCover(t(1, 24, 1), t(1, 19), 40, false)).toBeUndefined();
    expect(pdCover(t(1, 24, Infinity, 3), t(1, 19), 40, false)).toEqual({ x: 3, y: 3 });
    expect(pdCover(t(1, 24, 4), t(1, 24, 4), 40, true)).toEqual({ x: 2, y: 2 });
    expect(pdCover(t(1, 24, 3), t(1, 24, 3), 40, true)).toBeUndefined();
    expect(pdCovers(t(1, 24, 5), t(1, 24, 5), 40, true)).toEqual([
      { x: 2, y: 2 },
      { x: 3, y: 2 },
      { x: 2, y: 3 },
    ]);
    expect(pdCover(t(1, 0), t(1, 19), 40, false)).toBeUndefined();
  });
});
