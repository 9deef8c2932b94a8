import { FinishHeap } from './finish-heap.js';
import { DECODE, type Sequence } from './sequence.js';

/**
 * The decoding sequences of a batch, kept as aggregates so that a step never visits them one by
 * one: their count, the sum of their context lengths, how many cross into a new KV page at each
 * step (by the residue of the step number modulo the page size), and a heap of the steps at which
 * each emits its last token.
 *
 * A sequence that enters decode after step `k` with `prefillTarget` tokens in KV writes KV
 * position `prefillTarget + (j - k - 1)` at step `j > k`.
 */
export class DecodeSet {
  count = 0;
  /** Sum of the decoding sequences' context lengths for the next step to be formed. */
  context = 0;
  /** crossings[r]: decoding sequences that need a new page at steps ≡ r (mod page size). */
  readonly crossings: Int32Array;
  readonly finishing = new FinishHeap();

  constructor(readonly blockSize: number) {
    this.crossings = new Int32Array(blockSize);
  }

  /** Pages the decoding sequences need for step `k`. */
  pagesNeeded(k: number): number {
    return this.crossings[k % this.blockSize];
  }

  /** Adds a sequence whose KV holds `prefillTarget` tokens after step `k`. */
  enter(seq: Sequence, k: number): void {
    const bs = this.blockSize;
    seq.phase = DECODE;
    seq.decodeStart = k;
    seq.finishStep = k + (seq.req.outputTokens - seq.generated);
    seq.residue = (((k + 1 - seq.prefillTarget) % bs) + bs) % bs;
    this.crossings[seq.residue]++;
    this.count++;
    this.context += seq.prefillTarget + 1;
    this.finishing.push(seq);
  }

  /** Tokens in KV of a decoding sequence once allocation for step `j` is done. */
  kvTokens(seq: Sequence, j: number): number {
    return seq.prefillTarget + (j - seq.decodeStart);
  }

  /**
   * Takes a sequence out of the aggregates (not the heap); `nextStep` is the step whose context
   * counted it, `allocatedStep` the last step whose page it holds. Its private pages are set to
   * what it holds: everything in KV up to `allocatedStep`, less the shared prefix.
   */
  remove(seq: Sequence, nextStep: number, allocatedStep = nextStep - 1): void {
    this.crossings[seq.residue]--;
    this.count--;
    this.context -= this.kvTokens(seq, nextStep);
    seq.privateBlocks = Math.ceil(this.kvTokens(seq, allocatedStep) / this.blockSize) - seq.sharedBlocks;
  }

  /** Every decoding sequence of the step just run has one more token in context. */
  advance(decoded: number): void {
    this.context += decoded;
  }
}
