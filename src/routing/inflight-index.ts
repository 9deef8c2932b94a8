import type { EndpointView, RoutingContext } from './types.js';

/**
 * The endpoints of a fixed list filed by gateway in-flight count (one sorted list of positions
 * per count), so the least-loaded endpoint is found without scanning the list.
 *
 * `pickMinRandomTie` returns exactly what `pickMinRandomTie(endpoints, e => e.counters.inflight,
 * ctx)` in pick.ts returns, with the same random draws in the same order. That scan draws once per
 * endpoint that ties the running minimum; its running minima are the counts whose first position
 * comes before that of every smaller count, and the draws for one of them are its positions up to
 * the first position of the next smaller one. Those are read from the lists here, so the cost is
 * the count range walked plus the draws, not the list length.
 *
 * The host calls `moved(e)` after every change of `e.counters.inflight`.
 */
export class InflightIndex {
  /** Positions with in-flight count v, ascending: buckets[v][0 .. sizes[v]). */
  private buckets: Int32Array[] = [];
  private sizes: number[] = [];
  /** The count each position is filed under. */
  private readonly filed: Int32Array;
  /** Smallest and largest counts with a non-empty bucket (exact while the list is non-empty). */
  private min = 0;
  private max = 0;
  /** Running minima of the scan, largest count first: their counts and first positions. */
  private recValue = new Int32Array(8);
  private recFirst = new Int32Array(8);

  /** Whether the list can be indexed: each endpoint sits at its own `index`. */
  static applies(endpoints: readonly EndpointView[]): boolean {
    for (let i = 0; i < endpoints.length; i++) if (endpoints[i].index !== i) return false;
    return true;
  }

  constructor(readonly endpoints: readonly EndpointView[]) {
    this.filed = new Int32Array(endpoints.length);
    for (let i = 0; i < endpoints.length; i++) {
      const v = endpoints[i].counters.inflight;
      this.filed[i] = v;
      this.insert(v, i);
    }
    this.min = this.firstNonEmpty(0);
    this.max = this.lastNonEmpty(this.sizes.length - 1);
  }

  /** The fewest in flight at any endpoint (0 for an empty list). */
  get least(): number {
    return this.endpoints.length === 0 ? 0 : this.min;
  }

  /** The most in flight at any endpoint (0 for an empty list). */
  get most(): number {
    return this.endpoints.length === 0 ? 0 : this.max;
  }

  /** `e`'s in-flight count changed (e must be endpoints[e.index]). */
  moved(e: EndpointView): void {
    const i = e.index;
    const v = e.counters.inflight;
    const old = this.filed[i];
    if (v === old) return;
    this.remove(old, i);
    this.insert(v, i);
    this.filed[i] = v;
    if (v < this.min) this.min = v;
    else if (old === this.min && this.sizes[old] === 0) this.min = this.firstNonEmpty(old);
    if (v > this.max) this.max = v;
    else if (old === this.max && this.sizes[old] === 0) this.max = this.lastNonEmpty(old);
  }

  /** Uniform among the endpoints with the fewest in flight, drawing as the scan in pick.ts does. */
  pickMinRandomTie(ctx: RoutingContext): EndpointView | undefined {
    const n = this.endpoints.length;
    if (n === 0) return undefined;
    // Running minima, found from the smallest count up until one starts at position 0.
    let records = 0;
    let first = n;
    for (let v = this.min; first > 0 && v < this.sizes.length; v++) {
      if (this.sizes[v] === 0) continue;
      const f = this.buckets[v][0];
      if (f >= first) continue;
      if (records === this.recValue.length) this.growRecords();
      this.recValue[records] = v;
      this.recFirst[records] = f;
      records++;
      first = f;
    }
    // In scan order (largest count first): a superseded minimum draws once per tie after its first.
    for (let r = records - 1; r > 0; r--) {
      const ties = this.countBelow(this.recValue[r], this.recFirst[r - 1]);
      for (let k = 2; k <= ties; k++) ctx.random();
    }
    return this.pickAmongLeast(ctx);
  }

  /**
   * Uniform among the endpoints with the fewest in flight, drawing as a scan over those endpoints
   * alone would (once per endpoint after the first), e.g. after a policy has narrowed its
   * candidates to them.
   */
  pickAmongLeast(ctx: RoutingContext): EndpointView | undefined {
    if (this.endpoints.length === 0) return undefined;
    const bucket = this.buckets[this.min];
    const ties = this.sizes[this.min];
    let chosen = 0;
    for (let k = 2; k <= ties; k++) if (ctx.random() * k < 1) chosen = k - 1;
    return this.endpoints[bucket[chosen]];
  }

  /** Positions filed under count v that are below position p. */
  private countBelow(v: number, p: number): number {
    const b = this.buckets[v];
    let lo = 0;
    let hi = this.sizes[v];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (b[mid] < p) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private firstNonEmpty(from: number): number {
    let v = from;
    while (v < this.sizes.length && this.sizes[v] === 0) v++;
    return v;
  }

  private lastNonEmpty(from: number): number {
    let v = from;
    while (v > 0 && this.sizes[v] === 0) v--;
    return v;
  }

  private insert(v: number, i: number): void {
    while (this.buckets.length <= v) {
      this.buckets.push(new Int32Array(4));
      this.sizes.push(0);
    }
    let b = this.buckets[v];
    const size = this.sizes[v];
    if (size === b.length) {
      const grown = new Int32Array(b.length * 2);
      grown.set(b);
      this.buckets[v] = b = grown;
    }
    const at = this.countBelow(v, i);
    b.copyWithin(at + 1, at, size);
    b[at] = i;
    this.sizes[v] = size + 1;
  }

  private remove(v: number, i: number): void {
    const b = this.buckets[v];
    const size = this.sizes[v];
    const at = this.countBelow(v, i);
    b.copyWithin(at, at + 1, size);
    this.sizes[v] = size - 1;
  }

  private growRecords(): void {
    const value = new Int32Array(this.recValue.length * 2);
    value.set(this.recValue);
    this.recValue = value;
    const first = new Int32Array(this.recFirst.length * 2);
    first.set(this.recFirst);
    this.recFirst = first;
  }
}
