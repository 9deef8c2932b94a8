/** Summary statistics of a sample, percentiles linearly interpolated (numpy's default). */
export interface SampleStats {
  n: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
}

/** The value at probability p of an ascending sample, interpolating between order statistics. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const h = (sorted.length - 1) * p;
  const i = Math.floor(h);
  if (i >= sorted.length - 1) return sorted[sorted.length - 1];
  return sorted[i] + (h - i) * (sorted[i + 1] - sorted[i]);
}

/** `count` quantiles at p = 0, 1/(count−1), …, 1, rounded to 0.1 token. */
export function quantileValues(sorted: ArrayLike<number>, count: number): number[] {
  const out = new Array<number>(count);
  for (let k = 0; k < count; k++) out[k] = Math.round(percentile(sorted, k / (count - 1)) * 10) / 10;
  return out;
}

export function summarize(values: ArrayLike<number>): SampleStats {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i];
  return {
    n: sorted.length,
    mean: sum / sorted.length,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    min: sorted[0],
    max: sorted[sorted.length - 1],
  };
}
