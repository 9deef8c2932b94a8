import { quickselect, quantileSorted } from 'd3-array';

/** The distribution summary reported for every latency metric. */
export interface Distribution {
  mean: number;
  /** Population standard deviation (numpy's np.std, as vLLM's and SGLang's benchmarks report it). */
  std: number;
  median: number;
  /** The median under its older name (the report, plans and stored results read it). */
  p50: number;
  p90: number;
  p95: number;
  p99: number;
}

/** The finite values, sorted ascending (NaN marks "not defined", e.g. TPOT of a one-token output). */
export function sortedFinite(values: Float64Array): Float64Array {
  const out = new Float64Array(values.length);
  let n = 0;
  let ordered = true;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (x === x) {
      if (n > 0 && x < out[n - 1]) ordered = false;
      out[n++] = x;
    }
  }
  // Columns that are constant (e.g. router queue time in push mode) need no sort.
  return ordered ? out.subarray(0, n) : out.subarray(0, n).sort();
}

/** Mean and percentiles of sorted values (linear interpolation between order statistics, as numpy's default). */
export function describeSorted(sorted: Float64Array): Distribution {
  if (sorted.length === 0) return emptyDistribution();
  const mean = meanOf(sorted);
  const median = quantile(sorted, 0.5);
  return {
    mean,
    std: stdOf(sorted, mean),
    median,
    p50: median,
    p90: quantile(sorted, 0.9),
    p95: quantile(sorted, 0.95),
    p99: quantile(sorted, 0.99),
  };
}

/** The distribution of no values. */
export function emptyDistribution(): Distribution {
  return { mean: NaN, std: NaN, median: NaN, p50: NaN, p90: NaN, p95: NaN, p99: NaN };
}

/** The mean of finite values. */
export function meanOf(a: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i];
  return sum / a.length;
}

/** Population standard deviation of finite values around their mean (two passes, as numpy). */
export function stdOf(a: Float64Array, mean: number): number {
  let ss = 0;
  for (let i = 0; i < a.length; i++) ss += (a[i] - mean) * (a[i] - mean);
  return Math.sqrt(ss / a.length);
}

/** Mean and percentiles of the finite values. */
export function summarize(values: Float64Array): Distribution {
  return describeSorted(sortedFinite(values));
}

/** Percentile `p` (0..100) of the finite values. */
export function percentile(values: Float64Array, p: number): number {
  const sorted = sortedFinite(values);
  return sorted.length === 0 ? NaN : quantile(sorted, p / 100);
}

/** d3's quantile of sorted values (its types ask for a plain array; typed arrays work). */
export function quantile(sorted: Float64Array, p: number): number {
  return sorted.length === 0 ? NaN : quantileSorted(sorted as unknown as number[], p)!;
}

/** Scales every field (e.g. seconds to milliseconds). */
export function scale(d: Distribution, k: number): Distribution {
  return { mean: d.mean * k, std: d.std * k, median: d.median * k, p50: d.p50 * k, p90: d.p90 * k, p95: d.p95 * k, p99: d.p99 * k };
}

/**
 * A compact CDF: `count` evenly spaced quantiles (0, 1/(count-1), ..., 1) of sorted values, times
 * `k`, rounded to 3 decimals so results files stay small. Empty input gives an empty list.
 */
export function quantileGrid(sorted: Float64Array, count = 101, k = 1): number[] {
  if (sorted.length === 0) return [];
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(Math.round(quantile(sorted, i / (count - 1)) * k * 1000) / 1000);
  return out;
}

/** The finite values, in their original order (a copy). */
function finiteCopy(values: Float64Array): Float64Array {
  const out = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (x === x) out[n++] = x;
  }
  return out.subarray(0, n);
}

/**
 * The same numbers as describeSorted(sortedFinite(values)), by selection instead of sorting:
 * O(n) per percentile rather than O(n log n), for columns whose full order is not needed.
 */
export function describe(values: Float64Array): Distribution {
  const a = finiteCopy(values);
  if (a.length === 0) return emptyDistribution();
  const mean = meanOf(a);
  const std = stdOf(a, mean);
  // Increasing percentiles: each selection only needs the part right of the previous one.
  const p50 = selectQuantile(a, 0.5, 0);
  const p90 = selectQuantile(a, 0.9, Math.floor((a.length - 1) * 0.5));
  const p95 = selectQuantile(a, 0.95, Math.floor((a.length - 1) * 0.9));
  const p99 = selectQuantile(a, 0.99, Math.floor((a.length - 1) * 0.95));
  return { mean, std, median: p50, p50, p90, p95, p99 };
}

/** Percentile `p` (0..100) of the finite values, by selection. */
export function percentileOf(values: Float64Array, p: number): number {
  const a = finiteCopy(values);
  return a.length === 0 ? NaN : selectQuantile(a, p / 100, 0);
}

/**
 * Linear interpolation between order statistics (numpy's default, as d3's quantile), found by
 * quickselect in a[left..]. Leaves a partly reordered.
 */
function selectQuantile(a: Float64Array, p: number, left: number): number {
  const h = (a.length - 1) * p;
  const i = Math.floor(h);
  quickselect(a as unknown as number[], i, left);
  const lo = a[i];
  if (i + 1 >= a.length || h === i) return lo;
  // After selection everything right of i is >= a[i]: the next order statistic is their minimum.
  let hi = Infinity;
  for (let j = i + 1; j < a.length; j++) if (a[j] < hi) hi = a[j];
  return lo + (hi - lo) * (h - i);
}
