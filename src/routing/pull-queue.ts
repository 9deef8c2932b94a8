import type { RequestView } from './types.js';

/**
 * The router-side FIFO of pull mode (both gateways). A request taken from the middle (with
 * pullSkipBlocked) leaves a hole that later passes skip; the array is compacted lazily, so taking
 * is O(1) and the queue never shifts on every dispatch.
 */
export class PullQueue {
  private readonly items: (RequestView | undefined)[] = [];
  private head = 0;
  private count = 0;

  /** Requests waiting. */
  get length(): number {
    return this.count;
  }

  push(req: RequestView): void {
    this.items.push(req);
    this.count++;
  }

  /** Empties the queue; returns the requests that were waiting, in order. */
  removeAll(): RequestView[] {
    const reqs: RequestView[] = [];
    for (let i = this.head; i < this.items.length; i++) if (this.items[i]) reqs.push(this.items[i]!);
    this.items.length = 0;
    this.head = 0;
    this.count = 0;
    return reqs;
  }

  /**
   * One pass in FIFO order: `decide` each request; one it decides on leaves the queue before
   * `take` acts on it (so a re-entrant call sees it gone). The pass stops at the first request
   * without a decision unless `skipBlocked`. Requests pushed during the pass are offered too.
   */
  offer<D>(decide: (req: RequestView) => D | undefined, take: (req: RequestView, d: D) => void, skipBlocked: boolean): void {
    const q = this.items;
    for (let k = this.head; k < q.length; k++) {
      const req = q[k];
      if (req === undefined) {
        if (k === this.head) this.head++;
        continue;
      }
      const d = decide(req);
      if (d !== undefined) {
        q[k] = undefined;
        this.count--;
        if (k === this.head) this.head++;
        take(req, d);
        continue;
      }
      if (!skipBlocked) break;
    }
    if (this.head === q.length) {
      q.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > q.length) {
      q.splice(0, this.head);
      this.head = 0;
    }
  }
}
