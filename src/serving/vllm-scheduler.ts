import type { BatchShape } from '../hardware/types.js';
import { DecodeSet } from './decode-set.js';
import { Deque } from './deque.js';
import type { EngineConfig } from './engine-config.js';
import { KvCache } from './kv-cache.js';
import { RunningList } from './running-list.js';
import type { Scheduler, SchedulerEvents } from './scheduler.js';
import { DECODE, FINISHED, PREFILL, Sequence, TRANSFERRING, WAITING, type ServedRequest } from './sequence.js';

/**
 * vLLM V1's scheduler: one token budget per step shared by decodes and chunked prefills (decodes
 * first, then running prefills, then new requests first come first served), paged KV blocks
 * with preemption by recompute from the tail of the batch, and a hashed prefix cache of full
 * blocks.
 *
 * A step costs O(prefilling sequences + admitted + finished), not O(batch): decoding sequences
 * live in a `DecodeSet` and are never visited one by one.
 *
 * Invariants (checked by `checkInvariants`):
 * - KV pool: free + held + evictable = total; evictable = blocks of unreferenced cache entries.
 * - Held blocks = private blocks of running and transferring sequences + blocks of referenced
 *   cache entries; entry references = entries held by those sequences.
 * - running ≤ max_num_seqs; the running list holds exactly the PREFILL and DECODE sequences,
 *   and `prefilling` is its PREFILL sequences in admission order, each with computed < target.
 * - Decode aggregates equal the sums over the decoding sequences (count, context, crossings by
 *   residue, heap size); each decoding sequence's last step is still to come.
 * - The waiting-token count is the sum of the waiting sequences' prefill targets.
 */
export class VllmScheduler implements Scheduler {
  readonly kv: KvCache;
  private readonly blockSize: number;
  private readonly waiting = new Deque<Sequence>();
  private waitingTokens = 0;
  /** Decode side of disaggregation: sequences whose KV has arrived, waiting for a batch slot. */
  private readonly arrived = new Deque<Sequence>();
  /** Running sequences in admission order; the tail is preempted first. */
  private readonly run = new RunningList();
  /** Running sequences still in prefill, in admission order (a handful at most). */
  private readonly prefilling: Sequence[] = [];
  private readonly decodes: DecodeSet;
  /** Decodes counted in the step being run. */
  private stepDecodes = 0;
  deferred = false;
  /** A sequence finished (its KV was freed) since the step clock was last told. */
  private kvFreed = false;
  /** Blocks and cache entries held by transferring sequences (outside the running batch), for the invariants. */
  private transferBlocks = 0;
  private transferEntries = 0;
  private shape: BatchShape | null = null;

  promptTokensComputed = 0;
  tokensGenerated = 0;
  preemptions = 0;
  completed = 0;

  constructor(
    private readonly config: EngineConfig,
    kvCapacityTokens: number,
    private readonly maxModelLen: number,
    private readonly events: SchedulerEvents,
  ) {
    this.blockSize = config.blockSize;
    this.kv = new KvCache(Math.floor(kvCapacityTokens / this.blockSize), this.blockSize);
    this.decodes = new DecodeSet(this.blockSize);
  }

  get running(): number {
    return this.run.count;
  }

  get queued(): number {
    return this.waiting.length + this.arrived.length;
  }

  get queuedPromptTokens(): number {
    return this.waitingTokens;
  }

  get slots(): number {
    return this.config.maxNumSeqs;
  }

  admissionError(req: ServedRequest): string | null {
    const total = req.promptTokens + req.outputTokens;
    if (total > this.maxModelLen) {
      return `prompt + output = ${total} tokens exceeds max_model_len ${this.maxModelLen}`;
    }
    if (Math.ceil(total / this.blockSize) > this.kv.totalBlocks) {
      return `prompt + output = ${total} tokens exceeds the KV capacity of ${this.kv.totalBlocks * this.blockSize} tokens`;
    }
    // Without chunked prefill a preempted request is recomputed (prompt + tokens so far) in one
    // step, so the whole sequence must fit the step budget, as vLLM requires.
    if (!this.config.enableChunkedPrefill && total > this.config.maxNumBatchedTokens) {
      return `prompt + output = ${total} tokens exceeds max_num_batched_tokens ${this.config.maxNumBatchedTokens} without chunked prefill`;
    }
    return null;
  }

  enqueue(seq: Sequence): void {
    this.waiting.pushBack(seq);
    this.waitingTokens += seq.prefillTarget;
  }

  releaseTransferred(seq: Sequence): void {
    this.transferBlocks -= seq.privateBlocks;
    this.transferEntries -= seq.heldEntries;
    this.releaseKv(seq);
    seq.phase = FINISHED;
  }

  reserveTransfer(req: ServedRequest, now: number): Sequence | null {
    const blocks = Math.ceil(req.promptTokens / this.blockSize);
    if (blocks > this.kv.available) return null;
    this.kv.allocate(blocks);
    const seq = new Sequence(req, now);
    seq.phase = TRANSFERRING;
    seq.privateBlocks = blocks;
    seq.computed = req.promptTokens;
    seq.generated = 1;
    this.transferBlocks += blocks;
    return seq;
  }

  admitTransferred(seq: Sequence): void {
    this.arrived.pushBack(seq);
  }

  hasWork(): boolean {
    return this.run.count > 0 || this.waiting.length > 0 || this.arrived.length > 0;
  }

  retryAfterEmpty(): boolean {
    // Transferred sequences join only at the start of a step; if a preemption (or a one-token
    // completion) then freed batch slots and left the step empty, nothing would wake them.
    return this.arrived.length > 0 && this.run.count < this.config.maxNumSeqs;
  }

  takeKvFreed(): boolean {
    const freed = this.kvFreed;
    this.kvFreed = false;
    return freed;
  }

  formStep(k: number, now: number, shape: BatchShape, admitCutoff: number): boolean {
    this.shape = shape;
    const bs = this.blockSize;
    const decodes = this.decodes;
    shape.prefillTokens = shape.prefillSeqs = shape.prefillAttentionPairs = shape.prefillContextTokens = 0;

    // Transferred-in sequences join the batch as decodes: their KV and first token are here.
    while (this.arrived.length > 0 && this.run.count < this.config.maxNumSeqs) {
      const seq = this.arrived.popFront()!;
      seq.transferredAt = now;
      if (seq.firstScheduledAt < 0) seq.firstScheduledAt = now;
      this.transferBlocks -= seq.privateBlocks;
      this.run.append(seq);
      if (seq.firstTokenAt < 0) {
        seq.firstTokenAt = now;
        this.events.onFirstToken(seq, now);
      }
      this.enterDecode(seq, k - 1, now);
    }

    // Decodes first: each running decode needs one token of budget, and some need a new block.
    let need = decodes.pagesNeeded(k);
    while (need > this.kv.available) {
      const victim = this.run.tail!;
      if (victim.phase === DECODE && victim.residue === k % bs) need--;
      this.preempt(victim, k - 1);
    }
    this.kv.allocate(need);
    this.stepDecodes = decodes.count;
    shape.decodeSeqs = decodes.count;
    shape.decodeContextTokens = decodes.context;
    let budget = this.config.maxNumBatchedTokens - decodes.count;

    // Then prefills already running (chunked prompts), in admission order.
    const prefilling = this.prefilling;
    for (let i = 0; i < prefilling.length && budget > 0; i++) {
      const seq = prefilling[i];
      const chunk = Math.min(seq.prefillTarget - seq.computed, budget);
      const blocks = Math.ceil((seq.computed + chunk) / bs) - seq.sharedBlocks - seq.privateBlocks;
      let preemptedSelf = false;
      while (blocks > this.kv.available) {
        const victim = this.run.tail!;
        if (victim === seq) preemptedSelf = true;
        if (victim.phase === DECODE) budget += this.undoDecode(victim, k);
        else this.preempt(victim, k);
        if (preemptedSelf) break;
      }
      if (preemptedSelf) break;
      this.kv.allocate(blocks);
      seq.privateBlocks += blocks;
      this.addChunk(seq, chunk);
      budget -= chunk;
    }

    // Then new requests, first come first served, while budget, batch slots and KV allow. Batch
    // slots that a preemption just freed go to transferred-in sequences first (they join at the
    // next step): their KV is already held, and a preempted sequence re-admitted here would take
    // the slot back and could preempt itself again, step after step, never making progress.
    while (budget > 0 && this.run.count < this.config.maxNumSeqs && this.waiting.length > 0 && this.arrived.length === 0) {
      if (this.waiting.peekFront()!.enqueuedAt > admitCutoff) {
        this.deferred = true;
        break;
      }
      const chunk = this.admit(this.waiting.peekFront()!, budget, now);
      if (chunk === 0) break;
      budget -= chunk;
    }

    // Prefix blocks held by more than one running sequence: repeat reads for the attention cost.
    shape.sharedKvTokens = this.kv.repeats.repeatBlocks * bs;
    shape.sharedKvDistinctTokens = this.kv.repeats.sharedBlocks * bs;

    // A transferred sequence that joined and finished at once (one-token output) may leave
    // nothing to run; anything else waiting needs a completion elsewhere to fit.
    return shape.decodeSeqs > 0 || shape.prefillTokens > 0;
  }

  /** Admits the head of the waiting queue with a first prefill chunk; returns the chunk (0 if it does not fit). */
  private admit(seq: Sequence, budget: number, now: number): number {
    const bs = this.blockSize;
    const req = seq.req;
    const hbt = req.hashBlockTokens;
    // Reuse cached prefix blocks, leaving at least one token to compute (it yields the next token).
    let matched = 0;
    if (this.config.enablePrefixCaching && req.prefixHashes.length > 0 && hbt % bs === 0) {
      const limit = Math.min(req.prefixHashes.length, Math.floor((seq.prefillTarget - 1) / hbt));
      matched = this.kv.acquirePrefix(req.prefixHashes, limit, hbt / bs);
    }
    const cached = matched * hbt;
    const remaining = seq.prefillTarget - cached;
    if (!this.config.enableChunkedPrefill && remaining > budget) {
      this.kv.releasePrefix(req.prefixHashes, matched);
      return 0;
    }
    const chunk = Math.min(remaining, budget);
    const shared = (matched * hbt) / bs;
    const blocks = Math.ceil((cached + chunk) / bs) - shared;
    if (blocks > this.kv.available) {
      this.kv.releasePrefix(req.prefixHashes, matched);
      return 0;
    }
    this.kv.allocate(blocks);
    this.waiting.popFront();
    this.waitingTokens -= seq.prefillTarget;
    seq.phase = PREFILL;
    seq.heldEntries = matched;
    seq.sharedBlocks = shared;
    seq.privateBlocks = blocks;
    seq.computed = cached;
    if (seq.firstScheduledAt < 0) {
      seq.firstScheduledAt = now;
      seq.cachedTokens = cached;
      this.kv.queriedTokens += req.promptTokens;
      this.kv.hitTokens += cached;
    }
    this.run.append(seq);
    this.prefilling.push(seq);
    this.addChunk(seq, chunk);
    return chunk;
  }

  private addChunk(seq: Sequence, chunk: number): void {
    seq.chunk = chunk;
    const shape = this.shape!;
    shape.prefillTokens += chunk;
    shape.prefillSeqs++;
    shape.prefillAttentionPairs += chunk * (seq.computed + chunk / 2);
    shape.prefillContextTokens += seq.computed + chunk;
  }

  landStep(k: number, now: number): void {
    // Every sequence that decoded this step now has one more token in context.
    this.tokensGenerated += this.stepDecodes;
    this.decodes.advance(this.stepDecodes);

    // Prefill chunks land; finished prefills emit a token and move to decode.
    const prefilling = this.prefilling;
    let kept = 0;
    for (let i = 0; i < prefilling.length; i++) {
      const seq = prefilling[i];
      if (seq.chunk > 0) {
        seq.computed += seq.chunk;
        this.promptTokensComputed += seq.chunk;
        seq.chunk = 0;
        if (seq.computed === seq.prefillTarget) {
          this.finishPrefill(seq, k, now);
          continue;
        }
      }
      prefilling[kept++] = seq;
    }
    if (kept !== prefilling.length) prefilling.length = kept;

    // Decodes whose last token came out in this step.
    const finishing = this.decodes.finishing;
    for (let top = finishing.peek(); top && top.finishStep === k; top = finishing.peek()) {
      finishing.pop();
      this.decodes.remove(top, k + 1);
      top.generated = top.req.outputTokens;
      this.finish(top, now);
    }
  }

  private finishPrefill(seq: Sequence, k: number, now: number): void {
    const req = seq.req;
    // Publish the prompt's full shared blocks so later requests can reuse them.
    const hbt = req.hashBlockTokens;
    if (this.config.enablePrefixCaching && hbt % this.blockSize === 0) {
      const perEntry = hbt / this.blockSize;
      const limit = Math.min(req.prefixHashes.length, Math.floor(req.promptTokens / hbt));
      // Held entries stay a contiguous prefix: stop at the first block that cannot be published.
      for (let i = seq.heldEntries; i < limit && this.kv.publish(req.prefixHashes[i], perEntry); i++) {
        seq.privateBlocks -= perEntry;
        seq.sharedBlocks += perEntry;
        seq.heldEntries = i + 1;
      }
    }
    seq.generated++;
    this.tokensGenerated++;
    if (seq.prefillOnly) {
      // Disaggregated: the first token is made here but reaches the client from the decode side.
      seq.prefillDoneAt = now;
      seq.phase = TRANSFERRING;
      this.run.remove(seq);
      this.transferBlocks += seq.privateBlocks;
      this.transferEntries += seq.heldEntries;
      this.events.onPrefillDone?.(seq, now);
      return;
    }
    if (seq.firstTokenAt < 0) {
      seq.firstTokenAt = now;
      this.events.onFirstToken(seq, now);
    }
    if (seq.generated >= req.outputTokens) {
      this.finish(seq, now);
      return;
    }
    this.enterDecode(seq, k, now);
  }

  /** Moves a sequence whose KV holds `prefillTarget` tokens into decode after step `k`. */
  private enterDecode(seq: Sequence, k: number, now: number): void {
    if (seq.generated >= seq.req.outputTokens) {
      this.finish(seq, now);
      return;
    }
    this.decodes.enter(seq, k);
  }

  /**
   * Preempts a decoding sequence that was already counted in step `k` (its block for `k` is
   * allocated). Returns the token budget it gave back.
   */
  private undoDecode(seq: Sequence, k: number): number {
    const decodes = this.decodes;
    decodes.finishing.remove(seq);
    const context = decodes.kvTokens(seq, k);
    decodes.remove(seq, k, k);
    this.stepDecodes--;
    this.shape!.decodeSeqs--;
    this.shape!.decodeContextTokens -= context;
    seq.generated += k - 1 - seq.decodeStart;
    this.requeue(seq);
    return 1;
  }

  /** Preempts by recompute: frees the sequence's KV and puts it back at the front of the queue. */
  private preempt(seq: Sequence, lastAllocatedStep: number): void {
    if (seq.phase === DECODE) {
      this.decodes.finishing.remove(seq);
      this.decodes.remove(seq, lastAllocatedStep + 1);
      seq.generated += lastAllocatedStep - seq.decodeStart;
    } else {
      // A prefilling sequence at the tail of the batch is also the last in `prefilling`.
      this.prefilling.pop();
      seq.chunk = 0;
    }
    this.requeue(seq);
  }

  private requeue(seq: Sequence): void {
    this.run.remove(seq);
    this.releaseKv(seq);
    seq.phase = WAITING;
    seq.prefillTarget = seq.req.promptTokens + seq.generated;
    seq.computed = 0;
    seq.preemptions++;
    this.preemptions++;
    this.waiting.pushFront(seq);
    this.waitingTokens += seq.prefillTarget;
  }

  private finish(seq: Sequence, now: number): void {
    this.run.remove(seq);
    this.releaseKv(seq);
    seq.phase = FINISHED;
    seq.finishedAt = now;
    this.completed++;
    this.kvFreed = true;
    this.events.onComplete(seq, now);
  }

  private releaseKv(seq: Sequence): void {
    this.kv.releasePrefix(seq.req.prefixHashes, seq.heldEntries);
    this.kv.release(seq.privateBlocks);
    seq.heldEntries = seq.sharedBlocks = seq.privateBlocks = 0;
  }

  checkInvariants(step: number, busy: boolean): string | null {
    const kvProblem = this.kv.checkInvariants();
    if (kvProblem) return kvProblem;
    const cfg = this.config;
    const decodes = this.decodes;
    if (this.run.count > cfg.maxNumSeqs) return `${this.run.count} running > max_num_seqs ${cfg.maxNumSeqs}`;
    // While step `step` runs its decodes hold pages through `step`; between steps through `step`
    // as well (allocation happens when a step is formed), and the context counts the next step.
    const contextStep = busy ? step : step + 1;
    let n = 0;
    let decoding = 0;
    let context = 0;
    let held = this.transferBlocks;
    let entries = this.transferEntries;
    let p = 0;
    const crossings = new Int32Array(this.blockSize);
    for (let s = this.run.head, prev: typeof s = null; s; prev = s, s = s.next) {
      n++;
      if (s.prev !== prev) return `running list broken at request ${s.req.id}`;
      entries += s.heldEntries;
      if (s.phase === DECODE) {
        decoding++;
        context += decodes.kvTokens(s, contextStep);
        crossings[s.residue]++;
        held += Math.ceil(decodes.kvTokens(s, step) / this.blockSize) - s.sharedBlocks;
        if (s.finishStep < step || (!busy && s.finishStep === step)) return `request ${s.req.id} decodes past its last step ${s.finishStep}`;
        if (s.heapIndex < 0) return `decoding request ${s.req.id} missing from the finish heap`;
      } else if (s.phase === PREFILL) {
        if (this.prefilling[p++] !== s) return `prefilling list out of admission order at request ${s.req.id}`;
        if (s.computed >= s.prefillTarget) return `request ${s.req.id} still prefilling with ${s.computed}/${s.prefillTarget} tokens`;
        held += s.privateBlocks;
        if (s.sharedBlocks + s.privateBlocks < Math.ceil((s.computed + s.chunk) / this.blockSize)) return `request ${s.req.id} holds fewer blocks than its KV`;
      } else {
        return `running request ${s.req.id} in phase ${s.phase}`;
      }
    }
    if (n !== this.run.count) return `running list has ${n} sequences, count ${this.run.count}`;
    if (p !== this.prefilling.length) return `${this.prefilling.length} prefilling, ${p} of them running`;
    if (decoding !== decodes.count) return `decode count ${decodes.count} != ${decoding} decoding`;
    if (decodes.finishing.size !== decoding) return `finish heap holds ${decodes.finishing.size}, ${decoding} decoding`;
    if (context !== decodes.context) return `decode context ${decodes.context} != ${context}`;
    for (let r = 0; r < this.blockSize; r++) {
      if (crossings[r] !== decodes.crossings[r]) return `block crossings at residue ${r}: ${decodes.crossings[r]} != ${crossings[r]}`;
    }
    held += this.kv.referencedBlocks;
    if (held !== this.kv.used) return `sequences hold ${held} blocks, pool says ${this.kv.used} used`;
    if (entries !== this.kv.entryRefs) return `sequences hold ${entries} cache entries, entries have ${this.kv.entryRefs} references`;
    let tokens = 0;
    for (let i = 0; i < this.waiting.length; i++) tokens += this.waiting.at(i)!.prefillTarget;
    if (tokens !== this.waitingTokens) return `waiting tokens ${this.waitingTokens} != ${tokens}`;
    return null;
  }
}
