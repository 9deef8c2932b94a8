import type { KvManager } from './kv-manager.js';
import { RepeatReads } from './repeat-reads.js';

/** One edge of the radix tree: a prompt block (by its chained hash) and the pages holding its KV. */
export class RadixNode {
  children: Map<number, RadixNode> | null = null;
  /** Sequences (running, or holding KV for a transfer) whose locked path runs through this node. */
  lockRef = 0;
  /** Order of the last match or insert through this node (SGLang's last_access_time). */
  lastAccess = 0;
  heapIndex = -1;
  /** Post-order rank in the last dfs-weight ordering, and the waiting requests at or below it. */
  dfsRank = 0;
  dfsWeight = 0;
  constructor(
    readonly hash: number,
    readonly parent: RadixNode | null,
    readonly pages: number,
    readonly id: number,
  ) {}
}

/**
 * SGLang's KV memory: a token pool in pages plus a radix tree of cached prompt prefixes, ported
 * from sgl-project/sglang@006b0e3d317f1cd4a7300e919a4eaa878b1947e7:python/sglang/srt/mem_cache/radix_cache.py.
 *
 * A node is locked while some sequence uses it (`inc_lock_ref` walks up to the root); unlocked
 * nodes are evictable, and eviction takes unlocked leaves least recently used first, a parent
 * becoming a leaf in turn. Pages are free, evictable (in unlocked nodes), protected (in locked
 * nodes) or private to a sequence. Keys are the workload's block hashes, so a node covers one
 * hash block (SGLang's nodes cover token runs and split on partial matches).
 */
export class RadixCache implements KvManager {
  readonly root = new RadixNode(0, null, 0, 0);
  private freeBlocks: number;
  private evictableBlocks = 0;
  private protectedBlocks = 0;
  private nodes = 0;
  private nextId = 0;
  private clock = 0;
  /** Unlocked leaves by last access: the eviction order. */
  private readonly heap: RadixNode[] = [];
  /** The deepest node of the last `match`. */
  lastMatch: RadixNode;
  queriedTokens = 0;
  hitTokens = 0;
  /** Repeat reads of nodes that several sequences lock. */
  readonly repeats = new RepeatReads();

  constructor(
    readonly totalBlocks: number,
    readonly blockSize: number,
  ) {
    this.freeBlocks = totalBlocks;
    this.lastMatch = this.root;
  }

  get available(): number {
    return this.freeBlocks + this.evictableBlocks;
  }

  get used(): number {
    return this.totalBlocks - this.freeBlocks - this.evictableBlocks;
  }

  /** Pages in unlocked tree nodes (SGLang `evictable_size`). */
  get evictable(): number {
    return this.evictableBlocks;
  }

  /** Pages in locked tree nodes (SGLang `protected_size`). */
  get protected(): number {
    return this.protectedBlocks;
  }

  get cachedNodes(): number {
    return this.nodes;
  }

  allocate(n: number): void {
    if (this.freeBlocks < n) this.evict(n - this.freeBlocks);
    if (this.freeBlocks < n) throw new Error(`KV pool exhausted: asked ${n}, free ${this.freeBlocks}`);
    this.freeBlocks -= n;
  }

  release(n: number): void {
    this.freeBlocks += n;
  }

  /**
   * Walks the tree along `hashes` (at most `limit` blocks of `pagesPerBlock` pages), touching
   * every node on the way (`_match_prefix_helper`). Returns the number of blocks matched; the
   * deepest node is `lastMatch`. Nothing is locked.
   */
  match(hashes: readonly number[], limit: number, pagesPerBlock: number): number {
    let node = this.root;
    let n = 0;
    const t = ++this.clock;
    for (; n < limit; n++) {
      const child = node.children?.get(hashes[n]);
      // A node cached for another page count covers a different span: no match.
      if (!child || child.pages !== pagesPerBlock) break;
      this.touch(child, t);
      node = child;
    }
    this.lastMatch = node;
    return n;
  }

  /** `inc_lock_ref`: locks `node` and its ancestors; newly locked pages stop being evictable. */
  lock(node: RadixNode): void {
    for (let x: RadixNode | null = node; x && x !== this.root; x = x.parent) {
      const locks = x.lockRef++;
      if (locks === 0) {
        this.evictableBlocks -= x.pages;
        this.protectedBlocks += x.pages;
        if (x.heapIndex >= 0) this.heapRemove(x);
      }
      this.repeats.referenced(x.pages, locks);
    }
  }

  /** `dec_lock_ref`: unlocks `node` and its ancestors; unlocked leaves become evictable. */
  unlock(node: RadixNode): void {
    for (let x: RadixNode | null = node; x && x !== this.root; x = x.parent) {
      const locks = --x.lockRef;
      if (locks === 0) {
        this.evictableBlocks += x.pages;
        this.protectedBlocks -= x.pages;
        if (!x.children || x.children.size === 0) this.heapPush(x);
      } else {
        this.repeats.released(x.pages, locks);
      }
    }
  }

  /**
   * Inserts the block `hash` below `parent` holding `pages` pages handed over by a sequence
   * (`_insert_helper`). Returns the node and whether it already existed: then the caller's copy
   * is a duplicate and goes back to the pool. A new node starts unlocked (evictable).
   */
  insert(parent: RadixNode, hash: number, pages: number): { node: RadixNode; existed: boolean } {
    const t = ++this.clock;
    const existing = parent.children?.get(hash);
    if (existing) {
      this.touch(existing, t);
      this.insertResult.node = existing;
      this.insertResult.existed = true;
      return this.insertResult;
    }
    const node = new RadixNode(hash, parent, pages, ++this.nextId);
    this.nodes++;
    node.lastAccess = t;
    if (!parent.children) parent.children = new Map();
    // The parent stops being a leaf.
    if (parent.heapIndex >= 0) this.heapRemove(parent);
    parent.children.set(hash, node);
    this.evictableBlocks += pages;
    this.heapPush(node);
    this.insertResult.node = node;
    this.insertResult.existed = false;
    return this.insertResult;
  }
  private readonly insertResult = { node: this.root, existed: false };

  /** Frees at least `pages` pages from unlocked leaves, least recently used first (`evict`). */
  evict(pages: number): void {
    let evicted = 0;
    while (evicted < pages && this.heap.length > 0) {
      const x = this.heap[0];
      this.heapRemove(x);
      const parent = x.parent!;
      parent.children!.delete(x.hash);
      this.nodes--;
      this.evictableBlocks -= x.pages;
      this.freeBlocks += x.pages;
      evicted += x.pages;
      if (parent !== this.root && parent.lockRef === 0 && parent.children!.size === 0) this.heapPush(parent);
    }
  }

  checkInvariants(): string | null {
    const total = this.totalBlocks;
    if (this.freeBlocks < 0 || this.freeBlocks > total) return `free pages ${this.freeBlocks} outside [0, ${total}]`;
    if (this.used < 0) return `free ${this.freeBlocks} + evictable ${this.evictableBlocks} > total ${total}`;
    let evictable = 0;
    let locked = 0;
    const groups: [number, number][] = [];
    let leaves = 0;
    let count = 0;
    const stack: RadixNode[] = [this.root];
    while (stack.length > 0) {
      const x = stack.pop()!;
      let childLocks = 0;
      if (x.children) {
        for (const c of x.children.values()) {
          if (c.parent !== x) return `node ${c.id} has the wrong parent`;
          childLocks += c.lockRef;
          stack.push(c);
        }
      }
      if (x === this.root) continue;
      count++;
      if (x.lockRef < 0) return `node ${x.id} has lock count ${x.lockRef}`;
      // A lock on a node is also a lock on each ancestor.
      if (x.lockRef < childLocks) return `node ${x.id} locked ${x.lockRef} times, its children ${childLocks}`;
      if (x.lockRef === 0) evictable += x.pages;
      else locked += x.pages;
      groups.push([x.pages, x.lockRef]);
      const leaf = x.lockRef === 0 && (!x.children || x.children.size === 0);
      if (leaf !== x.heapIndex >= 0) return `node ${x.id}: evictable leaf ${leaf}, on the eviction heap ${x.heapIndex >= 0}`;
      if (leaf) leaves++;
    }
    if (count !== this.nodes) return `tree holds ${count} nodes, count ${this.nodes}`;
    if (evictable !== this.evictableBlocks) return `evictable ${this.evictableBlocks} != unlocked node pages ${evictable}`;
    if (locked !== this.protectedBlocks) return `protected ${this.protectedBlocks} != locked node pages ${locked}`;
    const repeats = this.repeats.check(groups);
    if (repeats) return repeats;
    if (leaves !== this.heap.length) return `eviction heap holds ${this.heap.length}, ${leaves} evictable leaves`;
    for (let i = 1; i < this.heap.length; i++) {
      if (before(this.heap[i], this.heap[(i - 1) >> 1])) return 'eviction heap out of order';
    }
    return null;
  }

  private touch(x: RadixNode, t: number): void {
    x.lastAccess = t;
    // A later access moves an evictable leaf back in the eviction order.
    if (x.heapIndex >= 0) this.siftDown(x.heapIndex, x);
  }

  private heapPush(x: RadixNode): void {
    this.heap.push(x);
    this.siftUp(this.heap.length - 1, x);
  }

  private heapRemove(x: RadixNode): void {
    const heap = this.heap;
    const i = x.heapIndex;
    x.heapIndex = -1;
    const last = heap.pop()!;
    if (i === heap.length) return;
    if (i > 0 && before(last, heap[(i - 1) >> 1])) this.siftUp(i, last);
    else this.siftDown(i, last);
  }

  private siftUp(i: number, x: RadixNode): void {
    const heap = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(x, heap[p])) break;
      heap[i] = heap[p];
      heap[i].heapIndex = i;
      i = p;
    }
    heap[i] = x;
    x.heapIndex = i;
  }

  private siftDown(i: number, x: RadixNode): void {
    const heap = this.heap;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && before(heap[r], heap[l]) ? r : l;
      if (!before(heap[c], x)) break;
      heap[i] = heap[c];
      heap[i].heapIndex = i;
      i = c;
    }
    heap[i] = x;
    x.heapIndex = i;
  }
}

/** Eviction order: least recently accessed first; node creation order breaks ties. */
function before(a: RadixNode, b: RadixNode): boolean {
  return a.lastAccess < b.lastAccess || (a.lastAccess === b.lastAccess && a.id < b.id);
}
