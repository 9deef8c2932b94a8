/** Picks an index with probability proportional to its weight, from one uniform draw. */
export class WeightedChoice {
  private readonly cumulative: Float64Array;

  constructor(weights: readonly number[]) {
    if (weights.length === 0) throw new Error('WeightedChoice needs at least one weight');
    this.cumulative = new Float64Array(weights.length);
    let sum = 0;
    for (let i = 0; i < weights.length; i++) {
      if (!(weights[i] > 0)) throw new Error(`weight ${i} must be positive, got ${weights[i]}`);
      sum += weights[i];
      this.cumulative[i] = sum;
    }
    for (let i = 0; i < weights.length; i++) this.cumulative[i] /= sum;
  }

  get size(): number {
    return this.cumulative.length;
  }

  /** The probability of index i. */
  weightShare(i: number): number {
    return i === 0 ? this.cumulative[0] : this.cumulative[i] - this.cumulative[i - 1];
  }

  /** Index for the uniform draw u in [0, 1). Linear scan: mixes have a handful of entries. */
  pick(u: number): number {
    const c = this.cumulative;
    const last = c.length - 1;
    for (let i = 0; i < last; i++) if (u < c[i]) return i;
    return last;
  }
}
