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
  /** Per input bucket, cumulative counts over output buckets (cum[ib * ob + k] = sum of inputs up to k). */
  private readonly cum: Int32Array;
  private readonly sums: Int32Array;
  /** 2^k per output bucket (the predictions). */
  private readonly pow2: Float64Array;
  /** Input bucket of small integer token counts, memoized (bucket + 1; 0 = not computed). */
  private readonly bucketMemo = new Int8Array(1 << 16);
  /**
   * Changes whenever some (input bucket, output bucket) cell turns from empty to non-empty or
   * back, i.e. whenever the set of predictions `predict` can return for some input changes.
   */
  presenceEpoch = 0;
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
    this.cum = new Int32Array(cells);
    this.pow2 = Float64Array.from({ length: this.outputBuckets }, (_, k) => 2 ** k);
    this.sums = new Int32Array(this.inputBuckets);
    this.headTs = opts.startTime ?? 0;
    this.cold = opts.coldPrediction ?? 'optimistic';
  }

  /** Records a completed request (AIBrix `AddTraceWithTimestamp`). */
  addTrace(inputTokens: number, outputTokens: number, now: number, count = 1): void {
    if (now - this.headTs >= this.slotS) this.rotate(now);
    const ib = bucket(inputTokens, this.inputBuckets);
    const ob = bucket(outputTokens, this.outputBuckets);
    const base = ib * this.outputBuckets;
    const was = this.inputs[base + ob];
    this.inputs[base + ob] += count;
    if ((was === 0) !== (this.inputs[base + ob] === 0)) this.presenceEpoch++;
    for (let k = ob; k < this.outputBuckets; k++) this.cum[base + k] += count;
    this.sums[ib] += count;
    this.slots[this.head][base + ob] += count;
  }

  /** Predicted output tokens for a prompt; `rng.random()` is uniform in [0, 1). */
  predict(inputTokens: number, rng: { random(): number }): number {
    const ib = this.inputBucket(inputTokens);
    if (this.sums[ib] === 0) return this.coldPrediction(inputTokens);
    return this.pow2[this.drawBucket(ib, rng)];
  }

  /**
   * The output bucket k of one draw (`predict` returns 2^k) for an input bucket with history
   * (`historyIn(inputBucket) > 0`); one `rng.random()` call.
   */
  drawBucket(inputBucket: number, rng: { random(): number }): number {
    const n = this.sums[inputBucket];
    let cursor = Math.floor(rng.random() * n);
    if (cursor >= n) cursor = n - 1;
    // The first output bucket whose cumulative count exceeds the cursor (binary search; the last
    // bucket's cumulative count is n > cursor).
    const cum = this.cum;
    const base = inputBucket * this.outputBuckets;
    let lo = 0;
    let hi = this.outputBuckets - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[base + mid] > cursor) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** What `predict` returns, without a draw, for an input whose bucket has no history. */
  coldPrediction(inputTokens: number): number {
    if (this.cold === 'input') return inputTokens;
    if (this.cold === 'pessimistic') return 4096;
    return 1;
  }

  /** Traces in the window for an input bucket: `predict` draws once from the stream iff > 0. */
  historyIn(inputBucket: number): number {
    return this.sums[inputBucket];
  }

  /** Whether `predict` can return 2^k for inputs of this bucket (it has traces in output bucket k). */
  canPredict(inputBucket: number, k: number): boolean {
    return this.inputs[inputBucket * this.outputBuckets + k] > 0;
  }

  /** 2^k, the prediction of output bucket k. */
  prediction(k: number): number {
    return this.pow2[k];
  }

  /** The input bucket of a prompt length (memoized for small integers). */
  inputBucket(tokens: number): number {
    const m = this.bucketMemo;
    if (tokens >= 0 && tokens < m.length && (tokens | 0) === tokens) {
      const b = m[tokens];
      if (b !== 0) return b - 1;
      const v = bucket(tokens, this.inputBuckets);
      m[tokens] = v + 1;
      return v;
    }
    return bucket(tokens, this.inputBuckets);
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
        const was = this.inputs[i];
        this.inputs[i] -= v;
        if ((was === 0) !== (this.inputs[i] === 0)) this.presenceEpoch++;
        this.sums[Math.floor(i / ob)] -= v;
        slot[i] = 0;
      }
    }
    slot[cells] = 0;
    this.rebuildCumulative();
    this.tail = (this.tail + 1) % this.slots.length;
    const t = this.slots[this.tail];
    this.size -= t[t.length - 1];
  }

  private rebuildCumulative(): void {
    const ob = this.outputBuckets;
    for (let b = 0; b < this.inputBuckets; b++) {
      let acc = 0;
      for (let k = 0; k < ob; k++) {
        acc += this.inputs[b * ob + k];
        this.cum[b * ob + k] = acc;
      }
    }
  }
}

function bucket(tokens: number, limit: number): number {
  let b = 0;
  if (tokens > 0) b = Math.round(Math.log2(tokens));
  if (b >= limit) b = limit - 1;
  return b;
}
