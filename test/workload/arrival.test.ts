import { describe, expect, it } from 'vitest';
import { randomStream } from '../../src/engine/random.js';
import { ConstantArrivals, GammaArrivals, PoissonArrivals, gammaVariate, type ArrivalProcess } from '../../src/workload/index.js';

function gaps(p: ArrivalProcess, n: number): { mean: number; cv: number; monotone: boolean } {
  let last = 0;
  let sum = 0;
  let sumSq = 0;
  let monotone = true;
  for (let i = 0; i < n; i++) {
    const t = p.next();
    const g = t - last;
    if (g < 0) monotone = false;
    last = t;
    sum += g;
    sumSq += g * g;
  }
  const mean = sum / n;
  return { mean, cv: Math.sqrt(sumSq / n - mean * mean) / mean, monotone };
}

describe('arrival processes', () => {
  const N = 200_000;

  it('Poisson: mean gap 1/rate, CV 1', () => {
    const s = gaps(new PoissonArrivals(7, randomStream(1, 'p')), N);
    expect(Math.abs(s.mean * 7 - 1)).toBeLessThan(0.01);
    expect(Math.abs(s.cv - 1)).toBeLessThan(0.02);
    expect(s.monotone).toBe(true);
  });

  it.each([0.5, 1, 2, 4])('Gamma with cv %d: mean gap 1/rate and the requested CV', (cv) => {
    const s = gaps(new GammaArrivals(4, cv, randomStream(2, `g${cv}`)), N);
    expect(Math.abs(s.mean * 4 - 1)).toBeLessThan(0.03 * Math.max(1, cv));
    expect(Math.abs(s.cv / cv - 1)).toBeLessThan(0.05);
    expect(s.monotone).toBe(true);
  });

  it('constant: arrivals at n/rate without drift', () => {
    const p = new ConstantArrivals(3);
    expect([p.next(), p.next(), p.next()]).toEqual([0, 1 / 3, 2 / 3]);
    for (let i = 3; i < 3_000_000; i++) p.next();
    expect(p.next()).toBe(1_000_000);
  });

  it('gammaVariate has mean shape·scale for shapes below and above 1', () => {
    for (const shape of [0.25, 3]) {
      const r = randomStream(3, `shape${shape}`);
      let sum = 0;
      for (let i = 0; i < N; i++) sum += gammaVariate(r, shape, 2);
      expect(Math.abs(sum / N / (shape * 2) - 1)).toBeLessThan(0.02);
    }
  });
});
