import { Column } from './column.js';
import { selectable, valuesAtRanks } from './weighted-select.js';
import { emptyDistribution, type Distribution } from './stats.js';

/**
 * Inter-token gaps of every request pooled into one distribution (ITL as vLLM's benchmark_serving
 * and SGLang's bench_serving compute it: every request's gaps concatenated, then mean, median,
 * std and percentiles of the whole list). Gaps come in runs of equal values: a step of duration d
 * that makes a token for n decoding sequences adds the gap d n times. Memory is two numbers per
 * run, never one per token.
 */
export class GapPool {
  private readonly gaps = new Column();
  private readonly counts = new Column();
  count = 0;
  sum = 0;

  /** `n` gaps of `gap` seconds each. */
  add(gap: number, n: number): void {
    if (n <= 0) return;
    this.gaps.push(gap);
    this.counts.push(n);
    this.count += n;
    this.sum += gap * n;
  }

  /**
   * Mean, median, std and percentiles of the pooled gaps (plus `extraCount` gaps of `extraGap`), seconds; percentiles interpolate
   * linearly between order statistics (numpy's default) of the expanded list.
   */
  distribution(extraGap = 0, extraCount = 0): Distribution {
    if (extraCount <= 0) return weightedDistribution(this.gaps.values(), this.counts.values());
    // With `extraCount` more gaps of `extraGap` (a copy; the pool itself is unchanged).
    const n = this.gaps.length;
    const v = new Float64Array(n + 1);
    const w = new Float64Array(n + 1);
    v.set(this.gaps.values());
    w.set(this.counts.values());
    v[n] = extraGap;
    w[n] = extraCount;
    return weightedDistribution(v, w);
  }
}

/** The distribution of `values[i]` repeated `weights[i]` times (exact; no expansion). */
export function weightedDistribution(values: Float64Array, weights: Float64Array): Distribution {
  let n = 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    n += weights[i];
    sum += values[i] * weights[i];
  }
  if (n === 0) return emptyDistribution();
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < values.length; i++) ss += weights[i] * (values[i] - mean) * (values[i] - mean);
  if (selectable(values, weights)) return selectedDistribution(values, weights, n, mean, Math.sqrt(ss / n));
  return sortedDistribution(values, weights, n, mean, Math.sqrt(ss / n));
}

/**
 * The quantiles by an index sort in value order: the path for inputs selection does not take
 * (NaN, -0, fractional weights), and the reference the selection is tested against.
 */
export function sortedDistribution(values: Float64Array, weights: Float64Array, n: number, mean: number, std: number): Distribution {
  const order = Array.from(values.keys()).sort((a, b) => values[a] - values[b] || a - b);
  // Cumulative counts in value order: the value at 0-based rank r of the expanded list.
  const cum = new Float64Array(order.length);
  let c = 0;
  order.forEach((i, k) => (cum[k] = c += weights[i]));
  const at = (rank: number): number => {
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid] > rank) hi = mid;
      else lo = mid + 1;
    }
    return values[order[lo]];
  };
  const q = (p: number): number => {
    const h = (n - 1) * p;
    const i = Math.floor(h);
    const a = at(i);
    return i + 1 < n ? a + (at(i + 1) - a) * (h - i) : a;
  };
  const median = q(0.5);
  return { mean, std, median, p50: median, p90: q(0.9), p95: q(0.95), p99: q(0.99) };
}

const QUANTILES = [0.5, 0.9, 0.95, 0.99];

/**
 * weightedDistribution's percentiles by selection (valuesAtRanks) of just the order statistics
 * they interpolate between, instead of a sort of every value: the same numbers.
 */
function selectedDistribution(values: Float64Array, weights: Float64Array, n: number, mean: number, std: number): Distribution {
  const ranks: number[] = [];
  for (const p of QUANTILES) {
    const i = Math.floor((n - 1) * p);
    ranks.push(i);
    if (i + 1 < n) ranks.push(i + 1);
  }
  const at = valuesAtRanks(values, weights, ranks);
  let k = 0;
  const q = (p: number): number => {
    const h = (n - 1) * p;
    const i = Math.floor(h);
    const a = at[k++];
    return i + 1 < n ? a + (at[k++] - a) * (h - i) : a;
  };
  const median = q(0.5);
  return { mean, std, median, p50: median, p90: q(0.9), p95: q(0.95), p99: q(0.99) };
}
