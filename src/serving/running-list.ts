import type { Sequence } from './sequence.js';

/**
 * The running batch in admission order, as an intrusive doubly linked list through the
 * sequences' own `prev`/`next` fields: O(1) append and removal anywhere, no allocation. The tail
 * is the most recently admitted sequence (vLLM preempts from it).
 */
export class RunningList {
  head: Sequence | null = null;
  tail: Sequence | null = null;
  count = 0;

  append(seq: Sequence): void {
    seq.prev = this.tail;
    seq.next = null;
    if (this.tail) this.tail.next = seq;
    else this.head = seq;
    this.tail = seq;
    this.count++;
  }

  remove(seq: Sequence): void {
    if (seq.prev) seq.prev.next = seq.next;
    else this.head = seq.next;
    if (seq.next) seq.next.prev = seq.prev;
    else this.tail = seq.prev;
    seq.prev = seq.next = null;
    this.count--;
  }
}
