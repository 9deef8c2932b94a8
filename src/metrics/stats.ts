import { quantileSorted } from 'd3-array';

/** The distribution summary reported for every latency metric. */
export interface Distribution {
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
}

const EMPTY: Distribution = { mean: NaN, p50: NaN, p90: NaN, p95: NaN, p99: NaN };

/** Mean and percentiles (linear interpolation between order statistics, as numpy's default). */
export function summarize(values: Float64Array): Distribution {
  if (values.length === 0) return { ...EMPTY };
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i];
  return {
    mean: sum / sorted.length,
    p50: q(sorted, 0.5),
    p90: q(sorted, 0.9),
    p95: q(sorted, 0.95),
    p99: q(sorted, 0.99),
  };
}

/** Percentile `p` (0..100) of the values. */
export function percentile(values: Float64Array, p: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return q(sorted, p / 100);
}

/** Scales every field (e.g. seconds to milliseconds). */
export function scale(d: Distribution, k: number): Distribution {
  return { mean: d.mean * k, p50: d.p50 * k, p90: d.p90 * k, p95: d.p95 * k, p99: d.p99 * k };
}

/** d3's quantile over a sorted typed array (its types ask for a plain array; typed arrays work). */
function q(sorted: Float64Array, p: number): number {
  return quantileSorted(sorted as unknown as number[], p)!;
}
