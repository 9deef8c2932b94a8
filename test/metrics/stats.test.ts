import fc from 'fast-check';
import { describe as suite, expect, it } from 'vitest';
import { describe, describeSorted, percentile, percentileOf, sortedFinite } from '../../src/metrics/stats.js';

suite('distribution by selection', () => {
  it('gives exactly the numbers of sorting, NaN excluded', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((x) => x + 0) /* no -0: sorting orders it before +0 */, fc.constant(NaN), fc.constant(0)), { maxLength: 300 }), (xs) => {
        const v = Float64Array.from(xs);
        // Percentiles are the same numbers; mean and std sum in another order (last-bit differences).
        const { mean, std, ...pcts } = describe(v);
        const sorted = describeSorted(sortedFinite(v));
        expect(pcts).toEqual({ median: sorted.median, p50: sorted.p50, p90: sorted.p90, p95: sorted.p95, p99: sorted.p99 });
        if (Number.isNaN(sorted.mean)) expect(mean).toBeNaN();
        else {
          expect(Math.abs(mean - sorted.mean)).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(sorted.mean)));
          expect(Math.abs(std - sorted.std)).toBeLessThanOrEqual(1e-9 * (1 + sorted.std));
        }
        for (const p of [0, 1, 37.5, 50, 99, 100]) expect(percentileOf(v, p)).toEqual(percentile(v, p));
      }),
    );
  });

  it('interpolates like numpy: p90 of 1..10 is 9.1', () => {
    const v = Float64Array.from([10, 3, 7, 1, 9, 2, 8, 4, 6, 5]);
    expect(describe(v).p90).toBeCloseTo(9.1, 12);
    expect(describe(v).p50).toBe(5.5);
  });
});
