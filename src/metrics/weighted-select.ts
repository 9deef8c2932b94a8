/**
 * Order statistics of a weighted list without sorting it: `valuesAtRanks(values, weights, ranks)`
 * gives, for each 0-based rank r of the expanded list (values[i] repeated weights[i] times, in
 * ascending order), the value there. An MSD radix selection on the values' IEEE bits (mapped so
 * that unsigned order is numeric order): one pass counts the weight under each 16-bit digit, a
 * second gathers the few buckets the ranks fall in, which recurse on the next digit. Two passes
 * over the input instead of an O(n log n) comparator sort; the answer is the same, since the value
 * at a rank of a sorted multiset does not depend on how ties were ordered.
 *
 * Preconditions (see `selectable`): no NaN and no -0 (where a comparator's order is not the bits'
 * order), weights non-negative integers whose total is exact in a double.
 */
export function valuesAtRanks(values: Float64Array, weights: Float64Array, ranks: readonly number[]): number[] {
  const out: number[] = new Array(ranks.length);
  const order = ranks.map((_, k) => k).sort((a, b) => ranks[a] - ranks[b]);
  select(values, weights, 0, order.map((k) => ranks[k]), order, out);
  return out;
}

/** Whether `valuesAtRanks` applies (its preconditions hold). */
export function selectable(values: Float64Array, weights: Float64Array): boolean {
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const w = weights[i];
    if (v !== v || (v === 0 && 1 / v < 0)) return false;
    if (!(w >= 0) || Math.floor(w) !== w) return false;
    total += w;
  }
  return total <= Number.MAX_SAFE_INTEGER;
}

const DIGITS = 4;
const RADIX = 1 << 16;
/** Buckets this small are sorted outright. */
const SMALL = 64;
/** Index of the high word of a float64 in a Uint32Array view: 1 on little-endian hosts. */
const HIGH = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 1 : 0;

/** Per-digit weight, count and gathered slot, allocated on first use (1 MB) and reused. */
let tables: { weightIn: Float64Array; countIn: Uint32Array; slotOf: Int32Array } | undefined;
function scratch(): NonNullable<typeof tables> {
  return (tables ??= { weightIn: new Float64Array(RADIX), countIn: new Uint32Array(RADIX), slotOf: new Int32Array(RADIX) });
}

/**
 * Fills out[slots[j]] with the value at rank ranks[j] (ascending) of the weighted list, whose
 * values agree on every digit before `level`.
 */
function select(
  values: Float64Array,
  weights: Float64Array,
  level: number,
  ranks: readonly number[],
  slots: readonly number[],
  out: number[],
): void {
  const n = values.length;
  if (level === DIGITS) {
    // Every bit agrees: one value.
    for (const s of slots) out[s] = values[0];
    return;
  }
  if (n <= SMALL) {
    sortedPick(values, weights, ranks, slots, out);
    return;
  }
  const bits = new Uint32Array(values.buffer, values.byteOffset, n * 2);
  // One set of digit tables serves every call: a call is done with them before it recurses.
  const { weightIn, countIn, slotOf } = scratch();
  weightIn.fill(0);
  countIn.fill(0);
  slotOf.fill(-1);
  tally(bits, weights, level, weightIn, countIn);
  // The bucket each rank falls in, and its rank inside the bucket.
  const buckets: number[] = [];
  const inner: number[] = [];
  let b = 0;
  let before = 0;
  for (const r of ranks) {
    while (before + weightIn[b] <= r) before += weightIn[b++];
    buckets.push(b);
    inner.push(r - before);
  }
  // Gather each distinct bucket once.
  const parts: { values: Float64Array; weights: Float64Array; fill: number }[] = [];
  for (const d of buckets) {
    if (slotOf[d] >= 0) continue;
    slotOf[d] = parts.length;
    parts.push({ values: new Float64Array(countIn[d]), weights: new Float64Array(countIn[d]), fill: 0 });
  }
  gather(bits, values, weights, level, slotOf, parts);
  // Read before recursing: the calls below reuse the tables.
  const partOf = buckets.map((d) => parts[slotOf[d]]);
  for (let j = 0; j < buckets.length; ) {
    let k = j;
    while (k < buckets.length && buckets[k] === buckets[j]) k++;
    const p = partOf[j];
    select(p.values, p.weights, level + 1, inner.slice(j, k), slots.slice(j, k), out);
    j = k;
  }
}

/** The 16-bit digit `level` (0 = most significant) of the sortable key of value i. */
function digit(bits: Uint32Array, i: number, level: number): number {
  const h = bits[2 * i + HIGH];
  const negative = h >= 0x80000000;
  if (level < 2) {
    const key = negative ? ~h >>> 0 : h + 0x80000000;
    return level === 0 ? key >>> 16 : key & 0xffff;
  }
  const l = bits[2 * i + 1 - HIGH];
  const key = negative ? ~l >>> 0 : l;
  return level === 2 ? key >>> 16 : key & 0xffff;
}

function tally(bits: Uint32Array, weights: Float64Array, level: number, weightIn: Float64Array, countIn: Uint32Array): void {
  for (let i = 0; i < weights.length; i++) {
    const d = digit(bits, i, level);
    weightIn[d] += weights[i];
    countIn[d]++;
  }
}

function gather(
  bits: Uint32Array,
  values: Float64Array,
  weights: Float64Array,
  level: number,
  slotOf: Int32Array,
  parts: { values: Float64Array; weights: Float64Array; fill: number }[],
): void {
  for (let i = 0; i < weights.length; i++) {
    const s = slotOf[digit(bits, i, level)];
    if (s < 0) continue;
    const p = parts[s];
    p.values[p.fill] = values[i];
    p.weights[p.fill++] = weights[i];
  }
}

/** A small list: sort it and walk the cumulative weights. */
function sortedPick(
  values: Float64Array,
  weights: Float64Array,
  ranks: readonly number[],
  slots: readonly number[],
  out: number[],
): void {
  const order = Array.from(values.keys()).sort((a, b) => values[a] - values[b] || a - b);
  let k = 0;
  let cum = weights[order[0]];
  for (let j = 0; j < ranks.length; j++) {
    while (cum <= ranks[j]) cum += weights[order[++k]];
    out[slots[j]] = values[order[k]];
  }
}
