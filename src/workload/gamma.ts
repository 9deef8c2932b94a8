import type { Random } from '../engine/random.js';

/** Standard normal variate (Box–Muller; the second value is dropped to keep no state). */
export function normalVariate(random: Random): number {
  const u = 1 - random(); // (0, 1]: keeps log finite
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * Gamma variate with the given shape and scale (mean shape·scale), by Marsaglia and Tsang's
 * squeeze method. Shapes below 1 (CV above 1, bursty arrivals) use the identity
 * Gamma(k) = Gamma(k + 1) · U^(1/k).
 */
export function gammaVariate(random: Random, shape: number, scale: number): number {
  if (shape < 1) {
    const u = 1 - random();
    return gammaVariate(random, shape + 1, scale) * Math.pow(u, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normalVariate(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v * scale;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * scale;
  }
}
