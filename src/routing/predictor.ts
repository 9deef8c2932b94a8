/**
 * AIBrix `SimpleOutputPredictor` (`pkg/cache/output_predictor.go`): a moving histogram of observed
 * output lengths per input bucket, and a weighted random draw from it.
 *
 * - Buckets: `round(log2(tokens))`, 0 for tokens <= 0, clamped to `ceil(log2(max + 1)) - 1`.
 * - History: 10 s slots; a window of 240 s is 24 readable slots plus one spare. Slots rotate only
 *   when a trace is added (`AddTrace`); expiry is checked then, never on `predict`.
 * - Predict: with n traces in the input bucket, draw a cursor in [0, n) and return `2^k` for the
 *   first output bucket k whose cumulative count exceeds it. No history: 1 (optimistic cold start).
 *
 * Time and randomness are passed in, never read from the clock.
 */
export interface OutputPredictorOptions {
  /** Largest input length tracked, tokens. AIBrix: 1M (2^20), giving 21 buckets. */
  maxInputTokens?: number;
  /** Largest output length tracked, tokens. AIBrix: 1M (2^20). */
  maxOutputTokens?: number;
  /** Window, seconds. AIBrix: 240 ("same as the GPU optimizer window"). */
  windowS?: number;
  /** Slot length, seconds. AIBrix MovingInterval: 10. */
  slotS?: number;
  /** Time of construction, seconds: the first slot starts here. Default 0 (simulation start). */
  startTime?: number;
  /** Prediction with no history: 'optimistic' (1, AIBrix default), 'input', 'pessimistic' (4096). */
  coldPrediction?: 'optimistic' | 'input' | 'pessimistic';
}

export class SimpleOutputPredictor {
  readonly inputBuckets: number;
  readonly outputBuckets: number;
  private readonly slotS: number;
  private readonly slots: Int32Array[];
  private readonly inputs: Int32Array;
  private readonly sums: Int32Array;
  private head = 0;
  private tail = 0;
  private headTs: number;
  private size = 0;
  private readonly cold: 'optimistic' | 'input' | 'pessimistic';

  constructor(opts: OutputPredictorOptions = {}) {
    const maxIn = opts.maxInputTokens ?? 1 << 20;
    const maxOut = opts.maxOutputTokens ?? 1 << 20;
    const windowS = opts.windowS ?? 240;
    this.slotS = opts.slotS ?? 10;
    this.inputBuckets = Math.ceil(Math.log2(maxIn + 1));
    this.outputBuckets = Math.ceil(Math.log2(maxOut + 1));
    let extra = 1;
    if (windowS % this.slotS > 0) extra++;
    const nSlots = Math.floor(windowS / this.slotS) + extra;
    const cells = this.inputBuckets * this.outputBuckets;
    this.slots = [];
    for (let i = 0; i < nSlots; i++) this.slots.push(new Int32Array(cells + 1)); // last cell: skipped count
    this.inputs = new Int32Array(cells);
    this.sums = new Int32Array(this.inputBuckets);
    this.headTs = opts.startTime ?? 0;
    this.cold = opts.coldPrediction ?? 'optimistic';
  }

  /** Records a completed request (AIBrix `AddTraceWithTimestamp`). */
  addTrace(inputTokens: number, outputTokens: number, now: number, count = 1): void {
    if (now - this.headTs >= this.slotS) this.rotate(now);
    const ib = bucket(inputTokens, this.inputBuckets);
    const idx = ib * this.outputBuckets + bucket(outputTokens, this.outputBuckets);
    this.inputs[idx] += count;
    this.sums[ib] += count;
    this.slots[this.head][idx] += count;
  }

  /** Predicted output tokens for a prompt; `rng.random()` is uniform in [0, 1). */
  predict(inputTokens: number, rng: { random(): number }): number {
    const ib = bucket(inputTokens, this.inputBuckets);
    const n = this.sums[ib];
    if (n === 0) {
      if (this.cold === 'input') return inputTokens;
      if (this.cold === 'pessimistic') return 4096;
      return 1;
    }
    let cursor = Math.floor(rng.random() * n);
    if (cursor >= n) cursor = n - 1;
    let acc = 0;
    const base = ib * this.outputBuckets;
    for (let k = 0; k < this.outputBuckets; k++) {
      acc += this.inputs[base + k];
      if (cursor < acc) return 2 ** k;
    }
    return 2 ** (this.outputBuckets - 1);
  }

  /** Traces currently in the window for an input length (for tests and reports). */
  historySize(inputTokens: number): number {
    return this.sums[bucket(inputTokens, this.inputBuckets)];
  }

  private rotate(now: number): void {
    const window = this.slots.length - 1;
    if (this.size > window) return; // AIBrix logs "unexpected no spare time slot" and skips
    let forwarded = 0;
    let newHeadTs = this.headTs;
    while (now - newHeadTs >= this.slotS) {
      forwarded++;
      newHeadTs += this.slotS;
    }
    if (forwarded === 0) return;
    const n = this.slots.length;
    this.head = (this.head + 1) % n;
    this.headTs = newHeadTs;
    const headSlot = this.slots[this.head];
    headSlot[headSlot.length - 1] = forwarded;
    this.size += forwarded;
    while (this.size >= window) this.resetTail();
  }

  private resetTail(): void {
    const slot = this.slots[this.tail];
    const cells = slot.length - 1;
    const ob = this.outputBuckets;
    for (let i = 0; i < cells; i++) {
      const v = slot[i];
      if (v !== 0) {
        this.inputs[i] -= v;
        this.sums[Math.floor(i / ob)] -= v;
        slot[i] = 0;
      }
    }
    slot[cells] = 0;
    this.tail = (this.tail + 1) % this.slots.length;
    const t = this.slots[this.tail];
    this.size -= t[t.length - 1];
  }
}

function bucket(tokens: number, limit: number): number {
  let b = 0;
  if (tokens > 0) b = Math.round(Math.log2(tokens));
  if (b >= limit) b = limit - 1;
  return b;
}
