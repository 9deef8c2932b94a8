import type { KvManager } from './kv-manager.js';
import { RepeatReads } from './repeat-reads.js';

/**
 * Paged KV memory of one instance, the vLLM way: a pool of fixed-size blocks plus a prefix cache
 * of full blocks keyed by the hash of their content and everything before it.
 *
 * Blocks are in one of three states: free, held (by running sequences, privately or through a
 * shared prefix entry), or cached-but-unreferenced (kept for reuse and evicted least recently
 * used first when free blocks run out). Invariant: free + held + evictable = total.
 */
export class KvCache implements KvManager {
  readonly totalBlocks: number;
  private freeBlocks: number;
  private evictableBlocks = 0;
  private readonly entries = new Map<number, PrefixEntry>();
  /** LRU list of unreferenced entries: head is the next to evict. */
  private lruHead: PrefixEntry | null = null;
  private lruTail: PrefixEntry | null = null;
  /** Prefix lookups and hits, in tokens, for the hit-rate metric. */
  queriedTokens = 0;
  hitTokens = 0;
  /** Repeat reads of entries that several running sequences reference. */
  readonly repeats = new RepeatReads();

  constructor(totalBlocks: number, readonly blockSize: number) {
    this.totalBlocks = totalBlocks;
    this.freeBlocks = totalBlocks;
  }

  /** Blocks that can be allocated now (free plus evictable). */
  get available(): number {
    return this.freeBlocks + this.evictableBlocks;
  }

  /** Blocks held by running sequences. */
  get used(): number {
    return this.totalBlocks - this.freeBlocks - this.evictableBlocks;
  }

  get cachedEntries(): number {
    return this.entries.size;
  }

  /** Takes `n` blocks, evicting cached entries if needed. Caller checks `available` first. */
  allocate(n: number): void {
    while (this.freeBlocks < n) {
      const victim = this.lruHead;
      if (!victim) throw new Error(`KV pool exhausted: asked ${n}, free ${this.freeBlocks}`);
      this.unlink(victim);
      this.entries.delete(victim.hash);
      this.evictableBlocks -= victim.blocks;
      this.freeBlocks += victim.blocks;
    }
    this.freeBlocks -= n;
  }

  /** Returns `n` privately held blocks to the pool. */
  release(n: number): void {
    this.freeBlocks += n;
  }

  /**
   * Counts how many leading hashes are cached and takes a reference on each, so they cannot be
   * evicted while the sequence runs. Returns the number of entries matched.
   */
  acquirePrefix(hashes: readonly number[], limit: number, blocksPerEntry: number): number {
    let n = 0;
    for (; n < limit; n++) {
      const entry = this.entries.get(hashes[n]);
      // An entry cached for another block size covers a different span: no match.
      if (!entry || entry.blocks !== blocksPerEntry) break;
      this.reference(entry);
    }
    return n;
  }


  /**
   * Turns `blocksPerEntry` privately held blocks into a cache entry for `hash`, referenced once.
   * If another sequence already cached the same content, this one references that entry instead
   * and its own copy goes back to the pool. Either way the caller holds `blocksPerEntry` fewer
   * private blocks. Returns false (nothing changes) when the hash is cached with another size.
   */
  publish(hash: number, blocksPerEntry: number): boolean {
    const existing = this.entries.get(hash);
    // The same hash cached for another block size: keep this copy private.
    if (existing && existing.blocks !== blocksPerEntry) return false;
    if (existing) {
      this.reference(existing);
      this.freeBlocks += blocksPerEntry;
      return true;
    }
    const entry: PrefixEntry = { hash, blocks: blocksPerEntry, refs: 1, prev: null, next: null };
    this.entries.set(hash, entry);
    return true;
  }

  /** Drops one reference on each of the first `count` hashes, most specific block first. */
  releasePrefix(hashes: readonly number[], count: number): void {
    for (let i = count - 1; i >= 0; i--) {
      const entry = this.entries.get(hashes[i])!;
      const refs = --entry.refs;
      if (refs === 0) {
        this.evictableBlocks += entry.blocks;
        this.append(entry);
      } else {
        this.repeats.released(entry.blocks, refs);
      }
    }
  }

  private reference(entry: PrefixEntry): void {
    const refs = entry.refs++;
    if (refs === 0) {
      this.unlink(entry);
      this.evictableBlocks -= entry.blocks;
    }
    this.repeats.referenced(entry.blocks, refs);
  }

  /** Sum of the references on cached entries (each sequence holds one per entry it uses). */
  get entryRefs(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.refs;
    return n;
  }

  /** Blocks of the cached entries that some sequence references. */
  get referencedBlocks(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.refs > 0) n += e.blocks;
    return n;
  }

  checkInvariants(): string | null {
    const total = this.totalBlocks;
    if (this.freeBlocks < 0 || this.freeBlocks > total) return `free blocks ${this.freeBlocks} outside [0, ${total}]`;
    if (this.evictableBlocks < 0) return `evictable blocks ${this.evictableBlocks} < 0`;
    if (this.used < 0) return `free ${this.freeBlocks} + evictable ${this.evictableBlocks} > total ${total}`;
    let unreferenced = 0;
    let cached = 0;
    for (const e of this.entries.values()) {
      if (e.refs < 0) return `prefix entry ${e.hash} has ${e.refs} references`;
      if (e.refs === 0) unreferenced += e.blocks;
      cached += e.blocks;
    }
    const repeats = this.repeats.check(Array.from(this.entries.values(), (e) => [e.blocks, e.refs] as const));
    if (repeats) return repeats;
    if (unreferenced !== this.evictableBlocks) return `evictable ${this.evictableBlocks} != unreferenced cached blocks ${unreferenced}`;
    if (cached > total) return `cached blocks ${cached} > total ${total}`;
    let lru = 0;
    for (let e = this.lruHead; e; e = e.next) {
      if (e.refs !== 0) return `referenced entry ${e.hash} on the eviction list`;
      lru += e.blocks;
    }
    if (lru !== unreferenced) return `eviction list holds ${lru} blocks, unreferenced entries ${unreferenced}`;
    return null;
  }

  private append(e: PrefixEntry): void {
    e.prev = this.lruTail;
    e.next = null;
    if (this.lruTail) this.lruTail.next = e;
    else this.lruHead = e;
    this.lruTail = e;
  }

  private unlink(e: PrefixEntry): void {
    if (e.prev) e.prev.next = e.next;
    else this.lruHead = e.next;
    if (e.next) e.next.prev = e.prev;
    else this.lruTail = e.prev;
    e.prev = e.next = null;
  }
}

interface PrefixEntry {
  readonly hash: number;
  readonly blocks: number;
  refs: number;
  prev: PrefixEntry | null;
  next: PrefixEntry | null;
}
