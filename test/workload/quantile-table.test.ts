import { describe, expect, it } from 'vitest';
import { QuantileTable, WeightedChoice, quantileValues, percentile } from '../../src/workload/index.js';

describe('QuantileTable', () => {
  const t = new QuantileTable([0, 10, 40, 100, 1000]); // p = 0, .25, .5, .75, 1

  it('interpolates linearly between quantiles (hand computed)', () => {
    expect(t.at(0)).toBe(0);
    expect(t.at(0.125)).toBe(5); // halfway 0..10
    expect(t.at(0.3)).toBeCloseTo(16, 12); // pos 1.2 → 10 + 0.2·30
    expect(t.at(0.5)).toBe(40);
    expect(t.at(0.9)).toBeCloseTo(640, 9); // pos 3.6 → 100 + 0.6·900
    expect(t.at(1)).toBe(1000);
  });

  it('rounds to integers of at least 1', () => {
    expect(t.sample(0)).toBe(1);
    expect(t.sample(0.01)).toBe(1); // 0.4 → 0 → clamped
    expect(t.sample(0.3)).toBe(16);
    expect(t.sample(0.9 + 1e-12)).toBe(640);
    expect(t.sample(0.999999)).toBe(1000);
  });

  it('gives the exact probability of a sample at most k (hand computed)', () => {
    // sample <= 16 <=> at(u) < 16.5: pos 1 + 6.5 / 30 of 4 segments.
    expect(t.probAtMost(16)).toBeCloseTo((1 + 6.5 / 30) / 4, 12);
    expect(t.probAtMost(1)).toBeCloseTo(1.5 / 10 / 4, 12); // includes the draws clamped up to 1
    expect(t.probAtMost(0)).toBe(0);
    expect(t.probAtMost(1000)).toBe(1);
    expect(t.probAtMost(Infinity)).toBe(1);
    expect(t.probBetween(17, 40)).toBeCloseTo(0.5 - (1 + 6.5 / 30) / 4 + (0.5 / 60) / 4, 12);
    expect(t.probBetween(50, 20)).toBe(0);
    // Agrees with sampling on a fine grid.
    let n = 0;
    for (let i = 0; i < 100000; i++) if (t.sample((i + 0.5) / 100000) <= 16) n++;
    expect(n / 100000).toBeCloseTo(t.probAtMost(16), 4);
  });

  it('derived quantiles interpolate order statistics like numpy', () => {
    const sorted = [1, 2, 3, 4, 10];
    expect(percentile(sorted, 0.5)).toBe(3);
    expect(percentile(sorted, 0.9)).toBeCloseTo(7.6, 12);
    expect(quantileValues(sorted, 3)).toEqual([1, 3, 10]);
  });
});

describe('WeightedChoice', () => {
  it('maps uniform draws to indices by cumulative weight', () => {
    const c = new WeightedChoice([1, 3]);
    expect([c.pick(0), c.pick(0.2499), c.pick(0.25), c.pick(0.9999)]).toEqual([0, 0, 1, 1]);
  });
});
