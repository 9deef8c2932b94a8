/**
 * Prefix-block hashes. A hash stands for "this content up to and including this block", so equal
 * hashes must mean equal content and different prefixes must never collide, also across sources
 * mixed into one run. Hashes are integers below 2^53 (exact as JS numbers).
 */

/** 53-bit hash of a string: two independent 32-bit FNV-1a lanes, finished with a mix step. */
export function hashString53(text: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  a = finish(a);
  b = finish(b ^ a);
  return (b & 0x1fffff) * 0x100000000 + (a >>> 0);
}

function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Hashes of the full blocks of a shared prefix: block i of prefix `key` (e.g. "bird/formula_1")
 * gets hash53("key#i"). Built once per prefix and shared by all its requests.
 */
export function prefixBlockHashes(key: string, prefixTokens: number, blockTokens: number): readonly number[] {
  const blocks = Math.floor(prefixTokens / blockTokens);
  const hashes = new Array<number>(blocks);
  for (let i = 0; i < blocks; i++) hashes[i] = hashString53(`${key}#${i}`);
  return Object.freeze(hashes);
}

/**
 * Moves a trace's own block ids (small integers, e.g. Mooncake hash_ids) into a namespace of its
 * own, `ns · 2^32 + id` with a 21-bit ns from `key`, so two traces in one mix cannot collide.
 */
export function namespaceFor(key: string): number {
  const ns = hashString53(key) % 0x1fffff;
  return (ns + 1) * 0x100000000;
}

/**
 * Re-expresses block hashes made at `fromTokens` per block for an engine whose KV blocks hold
 * `toTokens`. Engine block j (tokens [j·to, (j+1)·to)) is known equal between two prompts when
 * the first source block covering its last token is: it takes that block's hash, mixed with j so
 * that engine blocks sharing one source block stay distinct. Blocks past the last full source
 * block get no hash (unknown content). Exact when `toTokens` is a multiple of `fromTokens`;
 * conservative (sharing is found at the source's granularity) otherwise.
 */
export function alignBlockHashes(hashes: readonly number[], fromTokens: number, toTokens: number): readonly number[] {
  const blocks = Math.floor((hashes.length * fromTokens) / toTokens);
  const out = new Array<number>(blocks);
  for (let j = 0; j < blocks; j++) {
    const k = Math.ceil(((j + 1) * toTokens) / fromTokens) - 1;
    out[j] = hashString53(`${hashes[k]}@${j}`);
  }
  return Object.freeze(out);
}
