/**
 * Paged KV memory of one instance: a pool of fixed-size blocks plus a prefix cache.
 *
 * Blocks are in one of three states: free, held (by running sequences, privately or through a
 * shared prefix entry), or cached-but-unreferenced (kept for reuse and evicted least recently
 * used first when free blocks run out). Invariant: free + held + evictable = total.
 */
export class KvCache {
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
      if (entry.refs++ === 0) {
        this.unlink(entry);
        this.evictableBlocks -= entry.blocks;
      }
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
      if (existing.refs++ === 0) {
        this.unlink(existing);
        this.evictableBlocks -= existing.blocks;
      }
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
      if (--entry.refs === 0) {
        this.evictableBlocks += entry.blocks;
        this.append(entry);
      }
    }
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
