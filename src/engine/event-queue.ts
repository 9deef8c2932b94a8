/**
 * A min-priority queue of events ordered by (time, insertion sequence).
 *
 * Events live in slot arrays reused through a free list, and the heap orders slot indices,
 * so scheduling an event allocates nothing once the queue has grown to its working size.
 */
export type EventHandler = (payload: any) => void;

/** Added to the sequence number of late events; sequence numbers stay below it (and exact in a double). */
const LATE = 2 ** 52;

export class EventQueue {
  private times: Float64Array;
  private seqs: Float64Array;
  private handlers: (EventHandler | undefined)[] = [];
  private payloads: unknown[] = [];
  private heap: Int32Array;
  private freeSlots: number[] = [];
  private slotCount = 0;
  private heapSize = 0;
  private nextSeq = 0;

  constructor(initialCapacity = 1024) {
    this.times = new Float64Array(initialCapacity);
    this.seqs = new Float64Array(initialCapacity);
    this.heap = new Int32Array(initialCapacity);
  }

  get size(): number {
    return this.heapSize;
  }

  /** Time of the earliest event, or Infinity when empty. */
  peekTime(): number {
    return this.heapSize === 0 ? Infinity : this.times[this.heap[0]];
  }

  /** `late`: after every ordinary event at the same time (in their own scheduling order). */
  push(time: number, handler: EventHandler, payload?: unknown, late = false): void {
    const slot = this.allocSlot();
    this.times[slot] = time;
    this.seqs[slot] = late ? LATE + this.nextSeq++ : this.nextSeq++;
    this.handlers[slot] = handler;
    this.payloads[slot] = payload;
    let i = this.heapSize++;
    const heap = this.heap;
    // Sift up.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(slot, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = slot;
  }

  /**
   * Removes the earliest event and copies it into `out`.
   * Returns false when the queue is empty.
   */
  popInto(out: PoppedEvent): boolean {
    if (this.heapSize === 0) return false;
    const heap = this.heap;
    const top = heap[0];
    out.time = this.times[top];
    out.handler = this.handlers[top]!;
    out.payload = this.payloads[top];
    this.handlers[top] = undefined;
    this.payloads[top] = undefined;
    this.freeSlots.push(top);
    const last = heap[--this.heapSize];
    if (this.heapSize > 0) {
      // Sift down.
      let i = 0;
      const n = this.heapSize;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && this.less(heap[r], heap[l]) ? r : l;
        if (!this.less(heap[c], last)) break;
        heap[i] = heap[c];
        i = c;
      }
      heap[i] = last;
    }
    return true;
  }

  private less(a: number, b: number): boolean {
    const ta = this.times[a];
    const tb = this.times[b];
    return ta < tb || (ta === tb && this.seqs[a] < this.seqs[b]);
  }

  private allocSlot(): number {
    const free = this.freeSlots.pop();
    if (free !== undefined) return free;
    const slot = this.slotCount++;
    if (slot >= this.times.length) this.grow();
    return slot;
  }

  private grow(): void {
    const cap = this.times.length * 2;
    const times = new Float64Array(cap);
    times.set(this.times);
    this.times = times;
    const seqs = new Float64Array(cap);
    seqs.set(this.seqs);
    this.seqs = seqs;
    const heap = new Int32Array(cap);
    heap.set(this.heap);
    this.heap = heap;
  }
}

export interface PoppedEvent {
  time: number;
  handler: EventHandler;
  payload: unknown;
}
