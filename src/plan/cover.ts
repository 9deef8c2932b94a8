/**
 * Combining building blocks into fleets that cover a target rate at least cost: an integer
 * covering problem, small enough (a handful of types, tens of instances) for an exact search.
 */

/** A block type that fleets are made of. */
export interface BlockType {
  /** What one instance adds to the objective (cost per hour, or GPUs). */
  weight: number;
  /** Requests per second one instance sustains (0: none). */
  capacity: number;
  /** A fleet that uses the type has at least `min` instances of it (0 or 1: no constraint). */
  min: number;
  /** At most `max` instances (Infinity: unbounded). */
  max: number;
}

/** How many instances of each type (indices as in the block types). */
export interface Cover {
  counts: number[];
  weight: number;
  capacity: number;
  instances: number;
}

const EPS = 1e-9;

/** The order of fleets: lighter first, then fewer instances, then more capacity, then the counts. */
export function compareCovers(a: Cover, b: Cover): number {
  return (
    a.weight - b.weight ||
    a.instances - b.instances ||
    b.capacity - a.capacity ||
    a.counts.reduce((d, x, i) => d || b.counts[i] - x, 0)
  );
}

/**
 * The `k` lightest minimal fleets whose capacities sum to at least `target`, using at most
 * `maxTypes` types, each type's count 0 or within [min, max]. Minimal: dropping any instance
 * (or a type at its minimum) loses the cover; a fleet with an instance to spare is never listed,
 * since the same fleet without it is lighter. Exact: a depth-first search over counts, pruned by
 * the k-th best weight so far and by the capacity still reachable.
 */
export function cheapestCovers(types: readonly BlockType[], target: number, opts: { k: number; maxTypes: number }): Cover[] {
  const usable = types.map((t) => t.capacity > 0);
  // More of a type than covers the target alone (above its minimum) can never be minimal.
  const top = types.map((t, i) => (usable[i] ? Math.min(t.max, Math.max(t.min, 1) + Math.ceil(target / t.capacity)) : 0));
  const reach = new Array<number>(types.length + 1).fill(0);
  for (let i = types.length - 1; i >= 0; i--) reach[i] = reach[i + 1] + top[i] * types[i].capacity;
  const need = target * (1 - EPS);
  const best: Cover[] = [];
  const counts = types.map(() => 0);

  const bound = () => (best.length < opts.k ? Infinity : best[best.length - 1].weight);
  const visit = (i: number, weight: number, capacity: number, used: number) => {
    if (weight > bound() + EPS) return;
    if (capacity + reach[i] < need) return;
    if (i === types.length) {
      if (capacity >= need && minimal(types, counts, capacity, need)) {
        const cover = { counts: [...counts], weight, capacity, instances: counts.reduce((a, b) => a + b, 0) };
        best.push(cover);
        best.sort(compareCovers);
        if (best.length > opts.k) best.pop();
      }
      return;
    }
    const t = types[i];
    visit(i + 1, weight, capacity, used);
    if (!usable[i] || used >= opts.maxTypes) return;
    for (let n = Math.max(1, t.min); n <= top[i]; n++) {
      counts[i] = n;
      visit(i + 1, weight + n * t.weight, capacity + n * t.capacity, used + 1);
      // Once this type alone closes the gap, one more of it would be spare.
      if (capacity + n * t.capacity >= need) break;
    }
    counts[i] = 0;
  };
  visit(0, 0, 0, 0);
  return best;
}

function minimal(types: readonly BlockType[], counts: number[], capacity: number, need: number): boolean {
  return counts.every((n, i) => {
    if (n === 0) return true;
    const drop = n - 1 >= Math.max(1, types[i].min) ? 1 : n;
    return capacity - drop * types[i].capacity < need;
  });
}

/** Instances of one type alone that cover `target` (at least its minimum); Infinity when it sustains nothing. */
export function countAlone(t: BlockType, target: number): number {
  return t.capacity > 0 ? Math.max(t.min, Math.ceil(target / t.capacity - EPS)) : Infinity;
}

/**
 * The xPyD that covers `target` with prefill type `p` and decode type `d`: enough of each for the
 * whole rate, raised to their minimums. `same`: p and d are one type, whose bounds then apply to
 * x + y. Undefined when a bound is exceeded.
 */
export function pdCover(p: BlockType, d: BlockType, target: number, same: boolean): { x: number; y: number } | undefined {
  let x = countAlone(p, target);
  const y = Math.max(countAlone(d, target), same ? 0 : d.min);
  if (!Number.isFinite(x) || !Number.isFinite(y)) return undefined;
  x = same ? Math.max(x, p.min - y) : Math.max(x, p.min);
  return withinBounds(p, d, same, x, y) ? { x, y } : undefined;
}

/**
 * pdCover and its two neighbours with one more prefill or one more decode instance (within the
 * bounds): both sides spend one TTFT budget, so a pair sized to each side's edge often misses,
 * and which side to grow is for the verification to say.
 */
export function pdCovers(p: BlockType, d: BlockType, target: number, same: boolean): { x: number; y: number }[] {
  const c = pdCover(p, d, target, same);
  if (!c) return [];
  return [c, { x: c.x + 1, y: c.y }, { x: c.x, y: c.y + 1 }].filter((v) => withinBounds(p, d, same, v.x, v.y));
}

function withinBounds(p: BlockType, d: BlockType, same: boolean, x: number, y: number): boolean {
  return same ? x + y <= p.max : x <= p.max && y <= d.max;
}
