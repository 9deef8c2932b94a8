/**
 * A distribution given by K quantiles at evenly spaced probabilities 0, 1/(K−1), …, 1 (the first
 * is the minimum, the last the maximum). Sampling is by inverse CDF with linear interpolation
 * between neighbouring quantiles, rounded to an integer token count of at least 1.
 */
export class QuantileTable {
  private readonly values: Float64Array;

  constructor(quantiles: readonly number[]) {
    if (quantiles.length < 2) throw new Error('a quantile table needs at least 2 values');
    this.values = Float64Array.from(quantiles);
  }

  /** The interpolated value at probability u in [0, 1], before rounding. */
  at(u: number): number {
    const v = this.values;
    const pos = u * (v.length - 1);
    const i = Math.min(Math.floor(pos), v.length - 2);
    return v[i] + (pos - i) * (v[i + 1] - v[i]);
  }

  /** A token count for the uniform draw u in [0, 1). */
  sample(u: number): number {
    const x = Math.round(this.at(u));
    return x < 1 ? 1 : x;
  }

  /**
   * The probability that a sample is at most k: the share of u in [0, 1) with at(u) < k + 0.5
   * (sample rounds half up). Exact: the interpolation is monotone and piecewise linear.
   */
  probAtMost(k: number): number {
    if (k < 1) return 0; // samples are at least 1
    const x = k + 0.5;
    const v = this.values;
    const last = v.length - 1;
    if (v[0] >= x) return 0;
    for (let i = 0; i < last; i++) {
      if (v[i + 1] >= x) return (i + (x - v[i]) / (v[i + 1] - v[i])) / last;
    }
    return 1;
  }

  /** The probability that a sample lies in [lo, hi] (integers; either bound may be infinite). */
  probBetween(lo: number, hi: number): number {
    return Math.max(0, this.probAtMost(hi) - this.probAtMost(lo - 1));
  }
}
