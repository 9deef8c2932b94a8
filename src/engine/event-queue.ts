/**
 * A min-priority queue of events ordered by (time, insertion sequence).
 *
 * A 4-ary heap whose entries carry their keys (time, sequence) next to the slot of the event's
 * handler and payload: a sift compares keys in place, without a lookup per comparison, and has
 * half the levels of a binary heap, which counts when thousands of instances each hold a pending
 * step. (time, sequence) is a total order, so the pop order is the same as any other heap's.
 * Handlers and payloads live in slot arrays reused through a free list, so scheduling an event
 * allocates nothing once the queue has grown to its working size.
 */
export type EventHandler = (payload: any) => void;

/** Added to the sequence number of late events; sequence numbers stay below it (and exact in a double). */
const LATE = 2 ** 52;

export class EventQueue {
  /** Heap order: the key and slot of each entry. */
  private times: Float64Array;
  private seqs: Float64Array;
  private slots: Int32Array;
  private handlers: (EventHandler | undefined)[] = [];
  private payloads: unknown[] = [];
  private freeSlots: number[] = [];
  private slotCount = 0;
  private heapSize = 0;
  private nextSeq = 0;

  constructor(initialCapacity = 1024) {
    this.times = new Float64Array(initialCapacity);
    this.seqs = new Float64Array(initialCapacity);
    this.slots = new Int32Array(initialCapacity);
  }

  get size(): number {
    return this.heapSize;
  }

  /** Time of the earliest event, or Infinity when empty. */
  peekTime(): number {
    return this.heapSize === 0 ? Infinity : this.times[0];
  }

  /** `late`: after every ordinary event at the same time (in their own scheduling order). */
  push(time: number, handler: EventHandler, payload?: unknown, late = false): void {
    const slot = this.allocSlot();
    this.handlers[slot] = handler;
    this.payloads[slot] = payload;
    const seq = late ? LATE + this.nextSeq++ : this.nextSeq++;
    if (this.heapSize === this.times.length) this.grow();
    const times = this.times;
    const seqs = this.seqs;
    const slots = this.slots;
    let i = this.heapSize++;
    // Sift up.
    while (i > 0) {
      const parent = (i - 1) >> 2;
      const pt = times[parent];
      if (pt < time || (pt === time && seqs[parent] < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[parent];
      slots[i] = slots[parent];
      i = parent;
    }
    times[i] = time;
    seqs[i] = seq;
    slots[i] = slot;
  }

  /**
   * Removes the earliest event and copies it into `out`.
   * Returns false when the queue is empty.
   */
  popInto(out: PoppedEvent): boolean {
    if (this.heapSize === 0) return false;
    const times = this.times;
    const seqs = this.seqs;
    const slots = this.slots;
    const top = slots[0];
    out.time = times[0];
    out.handler = this.handlers[top]!;
    out.payload = this.payloads[top];
    this.handlers[top] = undefined;
    this.payloads[top] = undefined;
    this.freeSlots.push(top);
    const n = --this.heapSize;
    if (n > 0) {
      const t = times[n];
      const s = seqs[n];
      const slot = slots[n];
      // Sift down: move the smallest of up to four children up while it is before the last entry.
      let i = 0;
      for (;;) {
        const first = 4 * i + 1;
        if (first >= n) break;
        let c = first;
        let ct = times[first];
        let cs = seqs[first];
        const end = first + 4 < n ? first + 4 : n;
        for (let k = first + 1; k < end; k++) {
          const kt = times[k];
          if (kt < ct || (kt === ct && seqs[k] < cs)) {
            c = k;
            ct = kt;
            cs = seqs[k];
          }
        }
        if (t < ct || (t === ct && s < cs)) break;
        times[i] = ct;
        seqs[i] = cs;
        slots[i] = slots[c];
        i = c;
      }
      times[i] = t;
      seqs[i] = s;
      slots[i] = slot;
    }
    return true;
  }

  private allocSlot(): number {
    const free = this.freeSlots.pop();
    if (free !== undefined) return free;
    return this.slotCount++;
  }

  private grow(): void {
    const cap = this.times.length * 2;
    const times = new Float64Array(cap);
    times.set(this.times);
    this.times = times;
    const seqs = new Float64Array(cap);
    seqs.set(this.seqs);
    this.seqs = seqs;
    const slots = new Int32Array(cap);
    slots.set(this.slots);
    this.slots = slots;
  }
}

export interface PoppedEvent {
  time: number;
  handler: EventHandler;
  payload: unknown;
}
