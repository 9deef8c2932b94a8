import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findMaxRate } from '../../src/plan/max-rate.js';

/** A system that sustains every rate up to `capacity` and none above: the probe is a threshold. */
const threshold = (capacity: number) => (rate: number) => ({ ok: rate <= capacity, result: rate });

describe('findMaxRate', () => {
  it('brackets then bisects to a known capacity within the stated precision', async () => {
    const r = await findMaxRate(threshold(7.3), { start: 1, relativePrecision: 0.05 });
    expect(r.rate).toBeLessThanOrEqual(7.3);
    expect(r.failedAt).toBeGreaterThan(7.3);
    expect(r.failedAt - r.rate).toBeLessThanOrEqual(0.05 * r.rate);
    // 1, 2, 4, 8 (fails), then halvings of [4, 8] down to a 5 % bracket.
    expect(r.probes.slice(0, 4).map((p) => p.rate)).toEqual([1, 2, 4, 8]);
    expect(r.best?.result).toBe(r.rate);
  });

  it('finds any capacity from any start, step and precision (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.double({ min: 0.05, max: 5000, noNaN: true }),
        fc.double({ min: 0.1, max: 100, noNaN: true }),
        fc.double({ min: 0.005, max: 0.3, noNaN: true }),
        fc.double({ min: 1.1, max: 4, noNaN: true }),
        async (capacity, start, precision, step) => {
          const r = await findMaxRate(threshold(capacity), { start, relativePrecision: precision, step, minRate: 0.01 });
          expect(r.rate).toBeLessThanOrEqual(capacity);
          expect(r.failedAt).toBeGreaterThan(capacity);
          expect(r.failedAt - r.rate).toBeLessThanOrEqual(precision * r.rate * (1 + 1e-12));
          // Every probe at or below the capacity passed, every one above failed: the search saw the threshold.
          for (const p of r.probes) expect(p.ok).toBe(p.rate <= capacity);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('starts at the given rate and steps by the given factor (the verification search)', async () => {
    const r = await findMaxRate(threshold(14), { start: 10, step: 1.25, relativePrecision: 0.05, maxRate: 40 });
    expect(r.probes.slice(0, 3).map((p) => p.rate)).toEqual([10, 12.5, 15.625]);
    expect(r.rate).toBeGreaterThan(14 / 1.05);
  });

  it('reports 0 when nothing passes down to minRate, and never probes above maxRate', async () => {
    const none = await findMaxRate(threshold(0.001), { start: 1, minRate: 0.1 });
    expect(none.rate).toBe(0);
    expect(none.best).toBeUndefined();
    expect(Math.min(...none.probes.map((p) => p.rate))).toBeGreaterThanOrEqual(0.1);
    const capped = await findMaxRate(threshold(1e9), { start: 1, maxRate: 50 });
    expect(capped.rate).toBe(50);
    expect(capped.failedAt).toBe(Infinity);
    expect(Math.max(...capped.probes.map((p) => p.rate))).toBe(50);
  });
});
