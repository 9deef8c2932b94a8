import type { Sequence } from './sequence.js';

/**
 * Decoding sequences ordered by the step at which they emit their last token, so that a step
 * touches only the sequences that finish in it. Supports removal (for preemption).
 */
export class FinishHeap {
  private items: Sequence[] = [];

  get size(): number {
    return this.items.length;
  }

  /** The i-th sequence in heap order (for scans that visit every decoding sequence). */
  at(i: number): Sequence {
    return this.items[i];
  }

  peek(): Sequence | undefined {
    return this.items[0];
  }

  push(s: Sequence): void {
    this.items.push(s);
    this.up(this.items.length - 1, s);
  }

  pop(): Sequence | undefined {
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0];
    this.removeAt(0);
    return top;
  }

  remove(s: Sequence): void {
    if (s.heapIndex >= 0) this.removeAt(s.heapIndex);
  }

  private removeAt(i: number): void {
    const items = this.items;
    const removed = items[i];
    removed.heapIndex = -1;
    const last = items.pop()!;
    if (i === items.length) return;
    // Put the last item in the hole and restore order in whichever direction it violates.
    if (i > 0 && before(last, items[(i - 1) >> 1])) this.up(i, last);
    else this.down(i, last);
  }

  private up(i: number, s: Sequence): void {
    const items = this.items;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(s, items[p])) break;
      items[i] = items[p];
      items[i].heapIndex = i;
      i = p;
    }
    items[i] = s;
    s.heapIndex = i;
  }

  private down(i: number, s: Sequence): void {
    const items = this.items;
    const n = items.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && before(items[r], items[l]) ? r : l;
      if (!before(items[c], s)) break;
      items[i] = items[c];
      items[i].heapIndex = i;
      i = c;
    }
    items[i] = s;
    s.heapIndex = i;
  }
}

function before(a: Sequence, b: Sequence): boolean {
  return a.finishStep < b.finishStep || (a.finishStep === b.finishStep && a.req.id < b.req.id);
}
