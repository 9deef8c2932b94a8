/**
 * A deterministic streaming quantile sketch with relative error (the DDSketch construction:
 * Masson, Rim, Lee, "DDSketch: a fast and fully-mergeable quantile sketch with relative-error
 * guarantees", VLDB 2019). A value x > 0 falls in bucket ceil(log_gamma x) with
 * gamma = (1 + a) / (1 - a); the bucket's representative 2 gamma^i / (gamma + 1) is within a
 * relative error `a` of every value in it, so every order statistic read from the sketch is
 * within `a` of the true one. Negative values use a mirrored store, zeros (and |x| below
 * MIN_MAGNITUDE) their own count. The result depends only on the multiset of values added, never
 * on their order or on timing. Memory: one count per occupied bucket range, about
 * log_gamma(max / min) entries (~2,800 for 1 us .. 1 day at a = 0.005).
 */
export const DEFAULT_RELATIVE_ERROR = 0.005;
/** Magnitudes below this count as zero (1 ns, far below any latency the simulator produces). */
const MIN_MAGNITUDE = 1e-9;

/** Bucket counts over a contiguous index range, grown on demand. */
class Store {
  counts = new Float64Array(0);
  offset = 0;
  total = 0;

  add(i: number): void {
    if (this.counts.length === 0) {
      this.counts = new Float64Array(64);
      this.offset = i - 32;
    }
    let k = i - this.offset;
    if (k < 0 || k >= this.counts.length) {
      const lo = Math.min(this.offset, i);
      const hi = Math.max(this.offset + this.counts.length, i + 1);
      const size = Math.max(hi - lo, this.counts.length * 2);
      const next = new Float64Array(size);
      // Grow towards the side that overflowed.
      const newOffset = i < this.offset ? hi - size : lo;
      next.set(this.counts, this.offset - newOffset);
      this.counts = next;
      this.offset = newOffset;
      k = i - this.offset;
    }
    this.counts[k]++;
    this.total++;
  }

  /** Adds every count of another store. */
  merge(o: Store): void {
    for (let k = 0; k < o.counts.length; k++) {
      const c = o.counts[k];
      if (c === 0) continue;
      // add() grows the range; then set the count directly.
      this.add(k + o.offset);
      this.counts[k + o.offset - this.offset] += c - 1;
      this.total += c - 1;
    }
  }

  /** Bucket index of the r-th smallest entry (0-based), scanning from the low end. */
  indexAtRank(r: number): number {
    let acc = 0;
    for (let k = 0; k < this.counts.length; k++) {
      acc += this.counts[k];
      if (acc > r) return k + this.offset;
    }
    return this.counts.length - 1 + this.offset;
  }
}

export class LogSketch {
  private readonly gamma: number;
  private readonly logGamma: number;
  private readonly pos = new Store();
  private readonly neg = new Store();
  private zeros = 0;
  /** Exact count, sum and sum of squares (in insertion order), minimum and maximum of the values added. */
  count = 0;
  sum = 0;
  sumSq = 0;
  min = Infinity;
  max = -Infinity;

  constructor(readonly relativeError = DEFAULT_RELATIVE_ERROR) {
    if (!(relativeError > 0 && relativeError < 1)) throw new Error(`relative error must be in (0, 1), got ${relativeError}`);
    this.gamma = (1 + relativeError) / (1 - relativeError);
    this.logGamma = Math.log(this.gamma);
  }

  /** Adds a value; NaN is skipped (it marks "not defined"). */
  add(x: number): void {
    this.addKeyed(x, this.keyOf(x));
  }

  /**
   * The bucket key of x (its signed bucket index; 0 for zero). Computing it once lets the same
   * value go into several sketches of the same relative error with one logarithm (`addKeyed`).
   */
  keyOf(x: number): number {
    if (x > MIN_MAGNITUDE) return Math.ceil(Math.log(x) / this.logGamma);
    if (x < -MIN_MAGNITUDE) return Math.ceil(Math.log(-x) / this.logGamma);
    return 0;
  }

  /** add(x) with x's key from keyOf (of a sketch with the same relative error). */
  addKeyed(x: number, key: number): void {
    if (x !== x) return;
    this.count++;
    this.sum += x;
    this.sumSq += x * x;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    if (x > MIN_MAGNITUDE) this.pos.add(key);
    else if (x < -MIN_MAGNITUDE) this.neg.add(key);
    else this.zeros++;
  }

  /** Adds every value of another sketch with the same relative error (the sum in this order). */
  merge(o: LogSketch): void {
    if (o.relativeError !== this.relativeError) throw new Error('cannot merge sketches of different relative errors');
    this.count += o.count;
    this.sum += o.sum;
    this.sumSq += o.sumSq;
    if (o.min < this.min) this.min = o.min;
    if (o.max > this.max) this.max = o.max;
    this.zeros += o.zeros;
    this.pos.merge(o.pos);
    this.neg.merge(o.neg);
  }

  /** The r-th smallest value (0-based), within the relative error; min and max exactly. */
  valueAtRank(r: number): number {
    if (r <= 0) return this.min;
    if (r >= this.count - 1) return this.max;
    const n = this.neg.total;
    let v: number;
    if (r < n) v = -this.represent(this.neg.indexAtRank(n - 1 - r));
    else if (r < n + this.zeros) v = 0;
    else v = this.represent(this.pos.indexAtRank(r - n - this.zeros));
    // The representative may lie just outside the observed range; the true value cannot.
    return Math.min(this.max, Math.max(this.min, v));
  }

  /**
   * Quantile q in [0, 1] with linear interpolation between order statistics (numpy's default,
   * as the exact summaries use). NaN when empty.
   */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const h = (this.count - 1) * q;
    const i = Math.floor(h);
    const lo = this.valueAtRank(i);
    if (h === i) return lo;
    const hi = this.valueAtRank(i + 1);
    return lo + (hi - lo) * (h - i);
  }

  private represent(i: number): number {
    return (2 * Math.pow(this.gamma, i)) / (this.gamma + 1);
  }
}
