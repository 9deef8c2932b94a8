import type { Simulator } from '../engine/index.js';
import type { BatchShape, TimingModel } from '../hardware/types.js';
import { Deque } from './deque.js';
import type { EngineConfig } from './engine-config.js';
import type { Engine } from './engine.js';
import { FinishHeap } from './finish-heap.js';
import { KvCache } from './kv-cache.js';
import { DECODE, FINISHED, PREFILL, Sequence, TRANSFERRING, WAITING, type ServedRequest } from './sequence.js';

/** Receives the events of an instance that matter outside it. */
export interface InstanceObserver {
  onFirstToken(seq: Sequence, now: number): void;
  onComplete(seq: Sequence, now: number): void;
  /** A prefill-only sequence finished its prompt; its KV stays held until `releaseTransferred`. */
  onPrefillDone?(seq: Sequence, now: number): void;
  /** KV blocks were freed (a completion or a finished transfer): reservations may now fit. */
  onKvFreed?(instance: Instance): void;
}

export interface InstanceOptions {
  id: string;
  sim: Simulator;
  timing: TimingModel;
  config: EngineConfig;
  /** KV capacity in tokens (from GPU memory, weights and the memory utilization setting). */
  kvCapacityTokens: number;
  /** Longest prompt + output accepted. */
  maxModelLen: number;
  observer: InstanceObserver;
}

/**
 * One inference engine with vLLM-style continuous batching: a waiting queue, a running batch,
 * a token budget per step shared by decodes and chunked prefills, paged KV blocks with
 * preemption by recompute, and a prefix cache.
 *
 * A step costs O(prefilling sequences + admitted + finished), not O(batch): decoding sequences
 * are never visited one by one. Each knows the step of its last token (a heap yields those that
 * finish), and KV growth is counted per step by the residue of the step number modulo the block
 * size at which each sequence crosses into a new block.
 */
export class Instance implements Engine {
  readonly id: string;
  readonly ranks = 1;
  readonly kv: KvCache;
  readonly config: EngineConfig;
  private readonly sim: Simulator;
  private readonly timing: TimingModel;
  private readonly observer: InstanceObserver;
  private readonly maxModelLen: number;
  private readonly blockSize: number;

  private readonly waiting = new Deque<Sequence>();
  private waitingTokens = 0;
  /** Decode side of disaggregation: sequences whose KV has arrived, waiting for a batch slot. */
  private readonly arrived = new Deque<Sequence>();
  /** Running sequences in admission order; the tail is preempted first. */
  private runHead: Sequence | null = null;
  private runTail: Sequence | null = null;
  private runCount = 0;
  /** Running sequences still in prefill, in admission order (a handful at most). */
  private readonly prefilling: Sequence[] = [];
  private readonly finishing = new FinishHeap();
  /** Decoding sequences, the sum of their context lengths for the next step, and block crossings by residue. */
  private decodeCount = 0;
  private decodeContext = 0;
  private readonly crossings: Int32Array;

  private stepNo = 0;
  private stepDecodes = 0;
  /** Async scheduling: requests enqueued after this time wait one more step (Infinity: no cut). */
  private admitCutoff = Infinity;
  private stepStartedAt = 0;
  private admitDeferred = false;
  private busy = false;
  private stepPending = false;
  /** A sequence finished (its KV was freed) since the observer was last told. */
  private kvFreed = false;
  private readonly shape: BatchShape = {
    prefillTokens: 0,
    prefillSeqs: 0,
    prefillAttentionPairs: 0,
    prefillContextTokens: 0,
    decodeSeqs: 0,
    decodeContextTokens: 0,
  };

  /** Cumulative counters, for metrics and engine-metric snapshots. */
  busyTime = 0;
  steps = 0;
  promptTokensComputed = 0;
  tokensGenerated = 0;
  preemptions = 0;
  completed = 0;

  private readonly startStepFn = () => this.startStep();
  private readonly endStepFn = () => this.endStep();

  constructor(opts: InstanceOptions) {
    this.id = opts.id;
    this.sim = opts.sim;
    this.timing = opts.timing;
    this.config = opts.config;
    this.observer = opts.observer;
    this.maxModelLen = opts.maxModelLen;
    this.blockSize = opts.config.blockSize;
    this.kv = new KvCache(Math.floor(opts.kvCapacityTokens / this.blockSize), this.blockSize);
    this.crossings = new Int32Array(this.blockSize);
  }

  /** Sequences in the running batch. */
  get running(): number {
    return this.runCount;
  }

  /** Sequences waiting for admission. */
  get queued(): number {
    return this.waiting.length + this.arrived.length;
  }

  /** Tokens the waiting sequences still have to prefill (SGLang's load counts them). */
  get queuedPromptTokens(): number {
    return this.waitingTokens;
  }

  get slots(): number {
    return this.config.maxNumSeqs;
  }

  /** Whether a step is running or about to start. */
  get working(): boolean {
    return this.busy || this.stepPending;
  }

  /** KV tokens that can be allocated now (free or evictable cached blocks). */
  get freeKvTokens(): number {
    return this.kv.available * this.blockSize;
  }

  get usedKvTokens(): number {
    return this.kv.used * this.blockSize;
  }

  /** Fraction of KV blocks held by running sequences (cached but unreferenced blocks count as free). */
  get kvUsage(): number {
    return this.kv.used / this.kv.totalBlocks;
  }

  /** Why this instance can never serve `req`, or null if it can. */
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

  /** Queues a request (the caller has checked `admissionError`). */
  enqueue(req: ServedRequest, owner?: unknown): Sequence {
    const seq = new Sequence(req, this.sim.now);
    seq.owner = owner;
    this.waiting.pushBack(seq);
    this.waitingTokens += seq.prefillTarget;
    this.kick();
    return seq;
  }

  /** Queues the prompt of a disaggregated request: it stops after prefill and keeps its KV for the transfer. */
  enqueuePrefillOnly(req: ServedRequest, owner?: unknown): Sequence {
    const seq = this.enqueue(req, owner);
    seq.prefillOnly = true;
    return seq;
  }

  /** The transfer of a prefill-only sequence's KV is done: free it here. */
  releaseTransferred(seq: Sequence): void {
    this.releaseKv(seq);
    seq.phase = FINISHED;
    this.observer.onKvFreed?.(this);
    this.kick();
  }

  /**
   * Decode side: reserves KV blocks for a prompt about to be transferred in, or returns null when
   * they do not fit now. The reserved sequence already has its first token (made by the prefill side).
   */
  reserveTransfer(req: ServedRequest, owner?: unknown): Sequence | null {
    const blocks = Math.ceil(req.promptTokens / this.blockSize);
    if (blocks > this.kv.available) return null;
    this.kv.allocate(blocks);
    const seq = new Sequence(req, this.sim.now);
    seq.owner = owner;
    seq.phase = TRANSFERRING;
    seq.privateBlocks = blocks;
    seq.computed = req.promptTokens;
    seq.generated = 1;
    return seq;
  }

  /** Decode side: the KV of a reserved sequence has arrived; it joins the batch at the next step. */
  admitTransferred(seq: Sequence): void {
    this.arrived.pushBack(seq);
    this.kick();
  }

  private kick(): void {
    if (this.busy || this.stepPending) return;
    this.stepPending = true;
    // Late in the instant: requests arriving at this same time join this step.
    this.sim.scheduleLate(this.sim.now, this.startStepFn);
  }

  private startStep(): void {
    // Kicks while the step is being assembled (a completion's callbacks may enqueue here) are
    // absorbed by it: stepPending stays set until the step is scheduled or found empty.
    this.assembleStep();
    this.stepPending = false;
    this.admitCutoff = Infinity;
    // Async scheduling left requests for the next step, and no step is running: an idle engine
    // schedules them at once.
    if (this.admitDeferred) {
      this.admitDeferred = false;
      if (!this.busy) this.kick();
    }
    // A transferred sequence that joined and finished at once freed its KV: reservations may fit.
    this.notifyKvFreed();
    // Transferred sequences join only at the start of a step; if a preemption (or a one-token
    // completion) then freed batch slots and left the step empty, nothing would wake them.
    if (!this.busy && this.arrived.length > 0 && this.runCount < this.config.maxNumSeqs) this.kick();
  }

  private notifyKvFreed(): void {
    if (!this.kvFreed) return;
    this.kvFreed = false;
    this.observer.onKvFreed?.(this);
  }

  private assembleStep(): void {
    if (this.runCount === 0 && this.waiting.length === 0 && this.arrived.length === 0) return;
    const k = ++this.stepNo;
    const shape = this.shape;
    const bs = this.blockSize;
    shape.prefillTokens = shape.prefillSeqs = shape.prefillAttentionPairs = shape.prefillContextTokens = 0;

    // Transferred-in sequences join the batch as decodes: their KV and first token are here.
    while (this.arrived.length > 0 && this.runCount < this.config.maxNumSeqs) {
      const seq = this.arrived.popFront()!;
      seq.transferredAt = this.sim.now;
      if (seq.firstScheduledAt < 0) seq.firstScheduledAt = this.sim.now;
      this.appendRunning(seq);
      if (seq.firstTokenAt < 0) {
        seq.firstTokenAt = this.sim.now;
        this.observer.onFirstToken(seq, this.sim.now);
      }
      this.enterDecode(seq, k - 1);
    }

    // Decodes first: each running decode needs one token of budget, and some need a new block.
    let need = this.crossings[k % bs];
    while (need > this.kv.available) {
      const victim = this.runTail!;
      if (victim.phase === DECODE && victim.residue === k % bs) need--;
      this.preempt(victim, k - 1);
    }
    this.kv.allocate(need);
    this.stepDecodes = this.decodeCount;
    shape.decodeSeqs = this.decodeCount;
    shape.decodeContextTokens = this.decodeContext;
    let budget = this.config.maxNumBatchedTokens - this.decodeCount;

    // Then prefills already running (chunked prompts), in admission order.
    const prefilling = this.prefilling;
    for (let i = 0; i < prefilling.length && budget > 0; i++) {
      const seq = prefilling[i];
      const chunk = Math.min(seq.prefillTarget - seq.computed, budget);
      const blocks = Math.ceil((seq.computed + chunk) / bs) - seq.sharedBlocks - seq.privateBlocks;
      let preemptedSelf = false;
      while (blocks > this.kv.available) {
        const victim = this.runTail!;
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
    while (budget > 0 && this.runCount < this.config.maxNumSeqs && this.waiting.length > 0 && this.arrived.length === 0) {
      if (this.waiting.peekFront()!.enqueuedAt > this.admitCutoff) {
        this.admitDeferred = true;
        break;
      }
      const chunk = this.admit(this.waiting.peekFront()!, budget);
      if (chunk === 0) break;
      budget -= chunk;
    }

    if (shape.decodeSeqs === 0 && shape.prefillTokens === 0) {
      // A transferred sequence that joined and finished at once (one-token output) may leave
      // nothing to run; anything else waiting needs a completion elsewhere to fit.
      return;
    }
    const duration = this.timing.stepTime(shape);
    this.stepStartedAt = this.sim.now;
    this.busy = true;
    this.busyTime += duration;
    this.steps++;
    this.sim.schedule(this.sim.now + duration, this.endStepFn);
  }

  /** Admits the head of the waiting queue with a first prefill chunk; returns the chunk (0 if it does not fit). */
  private admit(seq: Sequence, budget: number): number {
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
      seq.firstScheduledAt = this.sim.now;
      seq.cachedTokens = cached;
      this.kv.queriedTokens += req.promptTokens;
      this.kv.hitTokens += cached;
    }
    this.appendRunning(seq);
    this.prefilling.push(seq);
    this.addChunk(seq, chunk);
    return chunk;
  }

  private addChunk(seq: Sequence, chunk: number): void {
    seq.chunk = chunk;
    const shape = this.shape;
    shape.prefillTokens += chunk;
    shape.prefillSeqs++;
    shape.prefillAttentionPairs += chunk * (seq.computed + chunk / 2);
    shape.prefillContextTokens += seq.computed + chunk;
  }

  private endStep(): void {
    this.busy = false;
    const k = this.stepNo;
    const now = this.sim.now;
    // Async scheduling: the next step's batch was fixed when this one started.
    if (this.config.asyncScheduling) this.admitCutoff = this.stepStartedAt;

    // Every sequence that decoded this step now has one more token in context.
    this.tokensGenerated += this.stepDecodes;
    this.decodeContext += this.stepDecodes;

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
    for (let top = this.finishing.peek(); top && top.finishStep === k; top = this.finishing.peek()) {
      this.finishing.pop();
      this.removeDecode(top, k + 1);
      top.generated = top.req.outputTokens;
      this.finish(top, k, now);
    }
    // Any completion of this step (also a one-token output finishing with its prefill) freed KV.
    this.notifyKvFreed();
    this.kick();
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
      this.removeRunning(seq);
      this.observer.onPrefillDone?.(seq, now);
      return;
    }
    if (seq.firstTokenAt < 0) {
      seq.firstTokenAt = now;
      this.observer.onFirstToken(seq, now);
    }
    if (seq.generated >= req.outputTokens) {
      this.finish(seq, k, now);
      return;
    }
    this.enterDecode(seq, k);
  }

  /** Moves a sequence whose KV holds `prefillTarget` tokens into decode after step `k`. */
  private enterDecode(seq: Sequence, k: number): void {
    const req = seq.req;
    if (seq.generated >= req.outputTokens) {
      this.finish(seq, k, this.sim.now);
      return;
    }
    // Step j > k writes KV position prefillTarget + (j-k-1).
    const bs = this.blockSize;
    seq.phase = DECODE;
    seq.decodeStart = k;
    seq.finishStep = k + (req.outputTokens - seq.generated);
    seq.residue = (((k + 1 - seq.prefillTarget) % bs) + bs) % bs;
    this.crossings[seq.residue]++;
    this.decodeCount++;
    this.decodeContext += seq.prefillTarget + 1;
    this.finishing.push(seq);
  }

  /** Tokens in KV of a decoding sequence once allocation for step `j` is done. */
  private decodeKvTokens(seq: Sequence, j: number): number {
    return seq.prefillTarget + (j - seq.decodeStart);
  }

  /** Removes a decoding sequence from the decode bookkeeping; `nextStep` is the step it would have run next. */
  private removeDecode(seq: Sequence, nextStep: number): void {
    this.crossings[seq.residue]--;
    this.decodeCount--;
    this.decodeContext -= this.decodeKvTokens(seq, nextStep);
    // Private blocks now: everything in KV up to the last allocated step, less the shared prefix.
    seq.privateBlocks = Math.ceil(this.decodeKvTokens(seq, nextStep - 1) / this.blockSize) - seq.sharedBlocks;
  }

  /**
   * Preempts a decoding sequence that was already counted in step `k` (its block for `k` is
   * allocated). Returns the token budget it gave back.
   */
  private undoDecode(seq: Sequence, k: number): number {
    this.finishing.remove(seq);
    this.crossings[seq.residue]--;
    this.decodeCount--;
    this.stepDecodes--;
    this.shape.decodeSeqs--;
    this.shape.decodeContextTokens -= this.decodeKvTokens(seq, k);
    this.decodeContext -= this.decodeKvTokens(seq, k);
    seq.privateBlocks = Math.ceil(this.decodeKvTokens(seq, k) / this.blockSize) - seq.sharedBlocks;
    seq.generated += k - 1 - seq.decodeStart;
    this.requeue(seq);
    return 1;
  }

  /** Preempts by recompute: frees the sequence's KV and puts it back at the front of the queue. */
  private preempt(seq: Sequence, lastAllocatedStep: number): void {
    if (seq.phase === DECODE) {
      this.finishing.remove(seq);
      this.removeDecode(seq, lastAllocatedStep + 1);
      seq.generated += lastAllocatedStep - seq.decodeStart;
    } else {
      // A prefilling sequence at the tail of the batch is also the last in `prefilling`.
      this.prefilling.pop();
      seq.chunk = 0;
    }
    this.requeue(seq);
  }

  private requeue(seq: Sequence): void {
    this.removeRunning(seq);
    this.releaseKv(seq);
    seq.phase = WAITING;
    seq.prefillTarget = seq.req.promptTokens + seq.generated;
    seq.computed = 0;
    seq.preemptions++;
    this.preemptions++;
    this.waiting.pushFront(seq);
    this.waitingTokens += seq.prefillTarget;
  }

  private finish(seq: Sequence, _k: number, now: number): void {
    this.removeRunning(seq);
    this.releaseKv(seq);
    seq.phase = FINISHED;
    seq.finishedAt = now;
    this.completed++;
    this.kvFreed = true;
    this.observer.onComplete(seq, now);
  }

  private releaseKv(seq: Sequence): void {
    this.kv.releasePrefix(seq.req.prefixHashes, seq.heldEntries);
    this.kv.release(seq.privateBlocks);
    seq.heldEntries = seq.sharedBlocks = seq.privateBlocks = 0;
  }

  private appendRunning(seq: Sequence): void {
    seq.prev = this.runTail;
    seq.next = null;
    if (this.runTail) this.runTail.next = seq;
    else this.runHead = seq;
    this.runTail = seq;
    this.runCount++;
  }

  private removeRunning(seq: Sequence): void {
    if (seq.prev) seq.prev.next = seq.next;
    else this.runHead = seq.next;
    if (seq.next) seq.next.prev = seq.prev;
    else this.runTail = seq.prev;
    seq.prev = seq.next = null;
    this.runCount--;
  }
}
