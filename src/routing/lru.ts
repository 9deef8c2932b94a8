/**
 * A weighted LRU keyed by number: a Map for lookup and a doubly linked list for recency, so
 * touching, inserting and evicting the oldest entry are O(1). (A Map alone, iterated from the
 * front after front deletions, slows down as V8 skips the deleted slots.)
 */
export interface LruEntry<V> {
  readonly key: number;
  value: V;
  weight: number;
  prev: LruEntry<V> | undefined;
  next: LruEntry<V> | undefined;
}

export class Lru<V> {
  private readonly map = new Map<number, LruEntry<V>>();
  private head: LruEntry<V> | undefined; // oldest
  private tail: LruEntry<V> | undefined; // newest
  /** Sum of the weights of the entries. */
  weight = 0;

  get size(): number {
    return this.map.size;
  }

  get(key: number): V | undefined {
    return this.map.get(key)?.value;
  }

  has(key: number): boolean {
    return this.map.has(key);
  }

  /** Inserts or replaces `key` as the newest entry. */
  put(key: number, value: V, weight = 1): void {
    let e = this.map.get(key);
    if (e) {
      this.unlink(e);
      this.weight += weight - e.weight;
      e.value = value;
      e.weight = weight;
    } else {
      e = { key, value, weight, prev: undefined, next: undefined };
      this.map.set(key, e);
      this.weight += weight;
    }
    this.append(e);
  }

  /** Makes an existing entry the newest; returns false when absent. */
  touch(key: number): boolean {
    const e = this.map.get(key);
    if (!e) return false;
    if (e !== this.tail) {
      this.unlink(e);
      this.append(e);
    }
    return true;
  }

  /** The oldest entry, or undefined. */
  oldest(): LruEntry<V> | undefined {
    return this.head;
  }

  /** Removes and returns the oldest entry. */
  shift(): LruEntry<V> | undefined {
    const e = this.head;
    if (!e) return undefined;
    this.unlink(e);
    this.map.delete(e.key);
    this.weight -= e.weight;
    return e;
  }

  delete(key: number): boolean {
    const e = this.map.get(key);
    if (!e) return false;
    this.unlink(e);
    this.map.delete(key);
    this.weight -= e.weight;
    return true;
  }

  private unlink(e: LruEntry<V>): void {
    if (e.prev) e.prev.next = e.next;
    else this.head = e.next;
    if (e.next) e.next.prev = e.prev;
    else this.tail = e.prev;
    e.prev = undefined;
    e.next = undefined;
  }

  private append(e: LruEntry<V>): void {
    e.prev = this.tail;
    e.next = undefined;
    if (this.tail) this.tail.next = e;
    else this.head = e;
    this.tail = e;
  }
}
