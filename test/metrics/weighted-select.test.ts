import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sortedDistribution, weightedDistribution } from '../../src/metrics/gap-pool.js';
import { selectable, valuesAtRanks } from '../../src/metrics/weighted-select.js';

/** The value at each 0-based rank of the expanded list, by sorting it (the reference). */
function bySorting(values: number[], weights: number[], ranks: number[]): number[] {
  const expanded: number[] = [];
  values.forEach((v, i) => {
    for (let k = 0; k < weights[i]; k++) expanded.push(v);
  });
  expanded.sort((a, b) => a - b);
  return ranks.map((r) => expanded[r]);
}

/** weightedDistribution against its comparator-sort path (the moments are shared; the quantiles are under test). */
function expectSortedQuantiles(values: Float64Array, weights: Float64Array): void {
  const d = weightedDistribution(values, weights);
  const n = weights.reduce((a, b) => a + b, 0);
  expect(d).toEqual(sortedDistribution(values, weights, n, d.mean, d.std));
}

// Gaps-like values (ms-scale, many exact repeats), plus negatives, zeros and infinities.
const value = fc.oneof(
  fc.constantFrom(0.0125, 0.0125, 0.013, 0.5, 0, 3, -2, Infinity, -Infinity, 1e-300, 1e300),
  fc.double({ min: 0.001, max: 0.2, noNaN: true }),
  fc.double({ noNaN: true }).filter((v) => !Object.is(v, -0)),
);
const list = fc
  .array(fc.tuple(value, fc.integer({ min: 0, max: 6 })), { minLength: 1, maxLength: 3000 })
  .filter((xs) => xs.some(([, w]) => w > 0));

describe('valuesAtRanks', () => {
  it('gives the value at every rank of the expanded sorted list', () => {
    fc.assert(
      fc.property(list, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 8 }), (xs, ps) => {
        const values = xs.map(([v]) => v);
        const weights = xs.map(([, w]) => w);
        const total = weights.reduce((a, b) => a + b, 0);
        const ranks = ps.map((p) => Math.min(total - 1, Math.floor(p * total)));
        expect(selectable(Float64Array.from(values), Float64Array.from(weights))).toBe(true);
        expect(valuesAtRanks(Float64Array.from(values), Float64Array.from(weights), ranks)).toEqual(bySorting(values, weights, ranks));
      }),
      { numRuns: 300 },
    );
  });

  it('descends through all four digits when values differ only in their last bits, either sign', () => {
    for (const base of [0.0125, -0.0125, -3e10]) {
      const values: number[] = [];
      for (let i = 0; i < 500; i++) {
        // Neighbouring doubles: the same top 48 bits.
        const f = new Float64Array([base]);
        new BigUint64Array(f.buffer)[0] += BigInt((i * 7919) % 500);
        values.push(f[0]);
      }
      const weights = values.map((_, i) => 1 + (i % 3));
      const total = weights.reduce((a, b) => a + b, 0);
      const ranks = [0, 1, Math.floor(total / 3), Math.floor(total / 2), total - 2, total - 1];
      expect(valuesAtRanks(Float64Array.from(values), Float64Array.from(weights), ranks)).toEqual(bySorting(values, weights, ranks));
    }
  });

  it('does not apply to NaN, -0, fractional or negative weights', () => {
    const w = Float64Array.from([1, 1]);
    expect(selectable(Float64Array.from([1, Number.NaN]), w)).toBe(false);
    expect(selectable(Float64Array.from([1, -0]), w)).toBe(false);
    expect(selectable(Float64Array.from([1, 2]), Float64Array.from([1, 0.5]))).toBe(false);
    expect(selectable(Float64Array.from([1, 2]), Float64Array.from([1, -1]))).toBe(false);
  });
});

describe('weightedDistribution', () => {
  it('is bit for bit what the comparator sort gave', () => {
    fc.assert(
      fc.property(list, (xs) => {
        const values = Float64Array.from(xs.map(([v]) => v));
        const weights = Float64Array.from(xs.map(([, w]) => w));
        expectSortedQuantiles(values, weights);
      }),
      { numRuns: 300 },
    );
  });

  it('falls back to the sort where selection does not apply (NaN, -0, fractional weights)', () => {
    const values = Float64Array.from([0.5, -0, 0, Number.NaN, 0.25, 2]);
    const weights = Float64Array.from([1, 2, 1, 1, 0.5, 3]);
    expectSortedQuantiles(values, weights);
  });
});
