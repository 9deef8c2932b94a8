import { describe, expect, it } from 'vitest';
import { exponential, randomStream } from '../../src/engine/index.js';

const draw = (r: () => number, n: number) => Array.from({ length: n }, () => r());

describe('randomStream', () => {
  it('gives the same sequence for the same seed and name', () => {
    expect(draw(randomStream(7, 'arrivals'), 50)).toEqual(draw(randomStream(7, 'arrivals'), 50));
  });

  it('gives different sequences for different seeds or names', () => {
    const base = draw(randomStream(7, 'arrivals'), 20);
    expect(draw(randomStream(8, 'arrivals'), 20)).not.toEqual(base);
    expect(draw(randomStream(7, 'lengths'), 20)).not.toEqual(base);
  });

  it('named streams are independent: draws from one do not shift another', () => {
    const alone = randomStream(3, 'b');
    const expected = draw(alone, 30);

    const a = randomStream(3, 'a');
    const b = randomStream(3, 'b');
    const got: number[] = [];
    for (let i = 0; i < 30; i++) {
      // Interleave an irregular number of draws from stream a.
      draw(a, (i * 7) % 5);
      got.push(b());
    }
    expect(got).toEqual(expected);
  });

  it('draws uniformly in [0, 1)', () => {
    const xs = draw(randomStream(1, 'u'), 20_000);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    // Standard error of the mean of U(0,1) over 20 000 draws is 0.002; the seed is fixed.
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    // Deciles are roughly equally filled.
    const counts = new Array(10).fill(0);
    for (const x of xs) counts[Math.floor(x * 10)]++;
    for (const c of counts) expect(Math.abs(c - 2000)).toBeLessThan(200);
  });
});

describe('exponential', () => {
  it('inverts the CDF: -ln(1 - u) / rate', () => {
    expect(exponential(() => 0.5, 2)).toBeCloseTo(Math.LN2 / 2, 15);
    expect(exponential(() => 0, 4) === 0).toBe(true); // (-0: same time)
    expect(exponential(() => 1 - Math.exp(-3), 1)).toBeCloseTo(3, 12);
  });

  it('has mean 1/rate', () => {
    const r = randomStream(11, 'exp');
    const n = 20_000;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += exponential(r, 4);
    // Mean 0.25, standard error 0.25 / sqrt(20000) = 0.0018.
    expect(Math.abs(sum / n - 0.25)).toBeLessThan(0.01);
  });
});
