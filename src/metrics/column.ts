/** A growable column of numbers in a typed array: 8 bytes a value, no per-value objects. */
export class Column {
  private data: Float64Array;
  length = 0;

  constructor(capacity = 1024) {
    this.data = new Float64Array(capacity);
  }

  push(x: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = x;
  }

  get(i: number): number {
    return this.data[i];
  }

  /** Drops every value and releases the memory. */
  clear(): void {
    this.data = new Float64Array(16);
    this.length = 0;
  }

  /** The values, as a view (no copy). */
  values(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}
