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
}
