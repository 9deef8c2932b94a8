import type { BatchShape } from '../hardware/types.js';
import { DecodeSet } from './decode-set.js';
import { Deque } from './deque.js';
import type { EngineConfig } from './engine-config.js';
import { RadixCache, type RadixNode } from './radix-cache.js';
import type { Scheduler, SchedulerEvents } from './scheduler.js';
import {
  CLIP_MAX_NEW_TOKENS,
  INIT_NEW_TOKEN_RATIO,
  MIN_NEW_TOKEN_RATIO_FACTOR,
  NEW_TOKEN_RATIO_DECAY_STEPS,
  NUM_RESERVED_DECODE_TOKENS,
  RETRACT_DECODE_STEPS,
  SGLANG_DEFAULTS,
  sglangDefaultMaxRunningRequests,
  type SglangConfig,
} from './sglang-config.js';
import { SglangQueueOrder } from './sglang-queue-order.js';
import { DECODE, FINISHED, PREFILL, Sequence, TRANSFERRING, WAITING, type ServedRequest } from './sequence.js';

/** `AddReqResult` of schedule_policy.py. */
const CONTINUE = 0;
const NO_TOKEN = 1;
const OTHER = 2;

/**
 * SGLang's scheduler, ported from sgl-project/sglang:
 * - python/sglang/srt/managers/scheduler.py @0003215cf1464f44b389cd0b18d0b4c56f2a3da6
 *   (`get_next_batch_to_run`, `_get_new_batch_prefill_raw`, `update_running_batch`);
 * - python/sglang/srt/managers/schedule_policy.py @00550cd11b35def9d584bf761a1e32729c20a21d
 *   (`PrefillAdder`);
 * - python/sglang/srt/managers/schedule_batch.py @000eaffacf048e51b64d4d72985ef8f0b7054b39
 *   (`retract_decode`, `check_decode_mem`);
 * - python/sglang/srt/mem_cache/radix_cache.py (see RadixCache).
 *
 * Prefill first: every step first tries to form a prefill batch from the waiting queue (in the
 * schedule policy's order, under the token budgets of `PrefillAdder`); only when none forms does
 * the running batch decode. Prefill chunks and decodes share a step only with mixed chunk on.
 * Admission reserves each running request's remaining output times the new-token ratio; the
 * ratio decays every decode step, and when a decode step finds no room for its tokens, requests
 * are retracted (fewest output tokens first, then longest prompt) and the ratio is re-estimated.
 *
 * Decoding sequences live in a `DecodeSet` indexed by decode steps, so a decode step costs
 * O(finished), not O(batch); forming a prefill batch costs O(waiting) as SGLang's does, and a
 * retraction visits the running batch as SGLang's does.
 *
 * Invariants (checked by `checkInvariants`): the radix cache's accounting; pages held = private
 * pages of prefilling, decoding and transferring sequences + pages of locked tree nodes; each
 * node's lock count = the holding sequences whose path runs through it; decode aggregates equal
 * the sums over the decoding sequences; running ≤ max_running_requests; at most one chunked
 * request; the queued prompt-token count is the sum over the waiting queue.
 */
export class SglangScheduler implements Scheduler {
  readonly kv: RadixCache;
  private readonly cfg: SglangConfig;
  private readonly page: number;
  private readonly maxRunning: number;
  private readonly radix: boolean;
  private readonly order: SglangQueueOrder;

  private waiting: Sequence[] = [];
  private waitingTokens = 0;
  /** Decode side of disaggregation: sequences whose KV has arrived, waiting to join the batch. */
  private readonly arrived = new Deque<Sequence>();
  /** Sequences holding KV outside the batch: prefill side until sent, decode side until they join. */
  private readonly transfers = new Set<Sequence>();
  private reservedTransfers = 0;
  /** The request whose prompt is being prefilled chunk by chunk (SGLang `chunked_req`). */
  private chunked: Sequence | null = null;
  /** The prefill batch of the step being run (reused). */
  private readonly batch: Sequence[] = [];
  /** Admitted sequences whose prompt is not done yet (the batch's and the chunked request). */
  private prefilling = 0;
  private readonly decodes: DecodeSet;
  /** Decode steps run so far: the decode set's step index. */
  private decodeStep = 0;
  /** Decodes in the step being run (0 for a pure prefill step). */
  private stepDecodes = 0;
  /** Σ over decoding sequences of (output − generated + decodeStart): remaining outputs in O(1). */
  private remainingBase = 0;
  /** Decoding sequences whose remaining output exceeds the clip (their estimate is clipped). */
  private readonly longDecodes: Sequence[] = [];
  private readonly retractScratch: Sequence[] = [];

  private readonly initRatio: number;
  private readonly minRatio: number;
  private readonly ratioDecay: number;
  private newTokenRatio: number;
  private batchIsFull = false;
  /** A decode finished since the running batch was last updated (`filter_batch` shrank it). */
  private finishedSinceUpdate = false;
  private kvFreed = false;

  /** PrefillAdder budgets of the batch being formed, tokens. */
  private totalOffset = 0;
  private curOffset = 0;
  private remInput = 0;
  private remChunk: number | null = null;
  private newChunked: Sequence | null = null;

  promptTokensComputed = 0;
  tokensGenerated = 0;
  preemptions = 0;
  completed = 0;

  constructor(
    config: EngineConfig,
    kvCapacityTokens: number,
    private readonly maxModelLen: number,
    private readonly events: SchedulerEvents,
  ) {
    this.cfg = config.sglang ?? { ...SGLANG_DEFAULTS, chunkedPrefillSize: config.maxNumBatchedTokens };
    this.page = config.blockSize;
    this.kv = new RadixCache(Math.floor(kvCapacityTokens / this.page), this.page);
    this.maxRunning = this.cfg.maxRunningRequests ?? sglangDefaultMaxRunningRequests(this.kv.totalBlocks * this.page, maxModelLen);
    this.radix = !this.cfg.disableRadixCache;
    this.decodes = new DecodeSet(this.page);
    this.order = new SglangQueueOrder(this.cfg.schedulePolicy, this.radix ? this.kv : null, (seq) => this.matchPrefix(seq));
    // new_token_ratio_tracker.py
    this.initRatio = Math.min(INIT_NEW_TOKEN_RATIO * this.cfg.scheduleConservativeness, 1);
    this.minRatio = Math.min(this.initRatio * MIN_NEW_TOKEN_RATIO_FACTOR, 1);
    this.ratioDecay = (this.initRatio - this.minRatio) / NEW_TOKEN_RATIO_DECAY_STEPS;
    this.newTokenRatio = this.initRatio;
  }

  get running(): number {
    return this.decodes.count + this.prefillingCount();
  }

  get queued(): number {
    return this.waiting.length + this.arrived.length;
  }

  get queuedPromptTokens(): number {
    return this.waitingTokens;
  }

  get slots(): number {
    return this.maxRunning;
  }

  /** The current new-token ratio (for tests and reports). */
  get ratio(): number {
    return this.newTokenRatio;
  }

  admissionError(req: ServedRequest): string | null {
    const total = req.promptTokens + req.outputTokens;
    if (total > this.maxModelLen) return `prompt + output = ${total} tokens exceeds context_length ${this.maxModelLen}`;
    // PrefillAdder admits only while prompt + clipped output + a page stays below the pool.
    const need = req.promptTokens + Math.min(req.outputTokens, CLIP_MAX_NEW_TOKENS) + this.page;
    const capacity = this.kv.totalBlocks * this.page;
    if (need >= capacity || Math.ceil(total / this.page) > this.kv.totalBlocks) {
      return `prompt + output = ${total} tokens exceeds the KV capacity of ${capacity} tokens`;
    }
    return null;
  }

  enqueue(seq: Sequence): void {
    this.waiting.push(seq);
    this.waitingTokens += seq.prefillTarget;
  }

  releaseTransferred(seq: Sequence): void {
    this.transfers.delete(seq);
    this.releaseKv(seq);
    seq.phase = FINISHED;
  }

  /**
   * Decode side (disaggregation/decode.py `DecodePreallocQueue`): preallocates the prompt's KV
   * when the pool keeps `NUM_RESERVED_DECODE_TOKENS` of decode room per request it already
   * serves, and a request slot is free.
   */
  reserveTransfer(req: ServedRequest, now: number): Sequence | null {
    const page = this.page;
    const serving = this.decodes.count + this.reservedTransfers + this.arrived.length + this.waiting.length + this.prefillingCount();
    if (serving >= this.maxRunning) return null;
    const allocatable = this.kv.available * page - NUM_RESERVED_DECODE_TOKENS * serving;
    // An idle server takes any request that fits whole (SGLang would wait forever on a pool
    // smaller than prompt + 512).
    const own = serving === 0 ? Math.min(NUM_RESERVED_DECODE_TOKENS, req.outputTokens) : NUM_RESERVED_DECODE_TOKENS;
    if (req.promptTokens + own > allocatable) return null;
    const pages = Math.ceil(req.promptTokens / page);
    this.kv.allocate(pages);
    const seq = new Sequence(req, now);
    seq.phase = TRANSFERRING;
    seq.privateBlocks = pages;
    seq.computed = req.promptTokens;
    seq.generated = 1;
    this.transfers.add(seq);
    this.reservedTransfers++;
    return seq;
  }

  admitTransferred(seq: Sequence): void {
    this.arrived.pushBack(seq);
  }

  hasWork(): boolean {
    return this.decodes.count > 0 || this.waiting.length > 0 || this.arrived.length > 0 || this.chunked !== null;
  }

  retryAfterEmpty(): boolean {
    return this.arrived.length > 0 && this.running < this.maxRunning;
  }

  takeKvFreed(): boolean {
    const freed = this.kvFreed;
    this.kvFreed = false;
    return freed;
  }

  /** Async scheduling is vLLM's: SGLang's overlap scheduler is not modelled (docs/engines.md). */
  readonly deferred = false;

  formStep(_k: number, now: number, shape: BatchShape, _admitCutoff: number): boolean {
    shape.prefillTokens = shape.prefillSeqs = shape.prefillAttentionPairs = shape.prefillContextTokens = 0;
    shape.decodeSeqs = shape.decodeContextTokens = shape.sharedKvTokens = shape.sharedKvDistinctTokens = 0;
    this.stepDecodes = 0;

    // Transferred-in requests join the running batch (`get_new_prebuilt_batch`), up to max_running_requests.
    while (this.arrived.length > 0 && this.running < this.maxRunning) {
      const seq = this.arrived.popFront()!;
      this.transfers.delete(seq);
      this.reservedTransfers--;
      seq.transferredAt = now;
      if (seq.firstScheduledAt < 0) seq.firstScheduledAt = now;
      if (seq.firstTokenAt < 0) {
        seq.firstTokenAt = now;
        this.events.onFirstToken(seq, now);
      }
      this.enterDecode(seq, now);
    }

    if (this.formPrefill(now, shape)) return true;
    if (this.decodes.count > 0) {
      this.updateRunningBatch();
      if (this.decodes.count > 0) {
        this.addDecodes(shape);
        return true;
      }
    }
    // An empty running batch is no longer full (`update_running_batch` on an empty batch), and
    // SGLang's loop tries the prefill again at once.
    if (this.batchIsFull || this.finishedSinceUpdate) {
      this.batchIsFull = this.finishedSinceUpdate = false;
      if (this.formPrefill(now, shape)) return true;
    }
    // Idle: SGLang re-initializes the ratio when it has nothing to run.
    this.newTokenRatio = this.initRatio;
    return false;
  }

  /** `_get_new_batch_prefill_raw` with `PrefillAdder`: false when no prefill batch forms. */
  private formPrefill(now: number, shape: BatchShape): boolean {
    const cfg = this.cfg;
    if ((this.batchIsFull || this.waiting.length === 0) && this.chunked === null) return false;
    const runningBs = this.decodes.count;
    if (this.maxRunning - runningBs <= 0 && this.chunked === null) {
      this.batchIsFull = true;
      return false;
    }
    this.order.order(this.waiting);

    const mixed = cfg.enableMixedChunk && runningBs > 0 ? runningBs : 0;
    this.totalOffset = this.runningOffset() * this.newTokenRatio + mixed;
    this.curOffset = mixed;
    this.remInput = cfg.maxPrefillTokens - mixed;
    this.remChunk = cfg.chunkedPrefillSize === null ? null : cfg.chunkedPrefillSize - mixed;
    this.newChunked = null;
    const batch = this.batch;
    batch.length = 0;

    const chunked = this.chunked;
    if (chunked) this.chunked = this.addChunked(chunked);

    let admitted = 0;
    const waiting = this.waiting;
    for (let i = 0; i < waiting.length; i++) {
      if (batch.length >= this.maxRunning - runningBs) {
        this.batchIsFull = true;
        break;
      }
      const seq = waiting[i];
      this.matchPrefix(seq);
      const before = batch.length;
      const res = this.addOne(seq);
      if (batch.length > before) admitted++;
      if (res !== CONTINUE) {
        if (res === NO_TOKEN) this.batchIsFull = true;
        break;
      }
    }
    if (batch.length === 0) return false;

    // The admitted requests are the head of the (ordered) queue.
    if (admitted > 0) {
      for (let i = 0; i < admitted; i++) this.waitingTokens -= waiting[i].prefillTarget;
      waiting.copyWithin(0, admitted);
      waiting.length -= admitted;
    }
    if (this.newChunked) this.chunked = this.newChunked;

    // prepare_for_extend: allocate each chunk's pages (evicting as needed) and shape the step.
    for (let i = 0; i < batch.length; i++) {
      const seq = batch[i];
      const pages = Math.ceil((seq.computed + seq.chunk) / this.page) - seq.sharedBlocks - seq.privateBlocks;
      if (pages > 0) {
        this.kv.allocate(pages);
        seq.privateBlocks += pages;
      }
      if (seq.phase === WAITING) {
        seq.phase = PREFILL;
        this.prefilling++;
        if (seq.firstScheduledAt < 0) {
          seq.firstScheduledAt = now;
          seq.cachedTokens = seq.computed;
          this.kv.queriedTokens += seq.req.promptTokens;
          this.kv.hitTokens += seq.computed;
        }
      }
      const chunk = seq.chunk;
      shape.prefillTokens += chunk;
      shape.prefillSeqs++;
      shape.prefillAttentionPairs += chunk * (seq.computed + chunk / 2);
      shape.prefillContextTokens += seq.computed + chunk;
    }

    // Mixed chunk: the running batch decodes in the same step (`mix_with_running`).
    if (mixed > 0 && this.decodes.pagesNeeded(this.decodeStep + 1) <= this.kv.available) this.addDecodes(shape);
    return true;
  }

  /** PrefillAdder.add_chunked_req: the next chunk of the chunked request; returns it while unfinished. */
  private addChunked(seq: Sequence): Sequence | null {
    const extend = seq.prefillTarget - seq.computed;
    let chunk = this.remChunk === null ? extend : Math.min(extend, this.remChunk);
    // The pool must hold the chunk (SGLang would fail the allocation instead).
    const room = (this.kv.available + seq.sharedBlocks + seq.privateBlocks) * this.page - seq.computed;
    chunk = Math.min(chunk, room);
    if (chunk <= 0) return seq;
    const truncated = chunk < extend;
    seq.chunk = chunk;
    this.batch.push(seq);
    this.reserve(chunk, truncated ? 0 : this.maxNew(seq));
    return truncated ? seq : null;
  }

  /** PrefillAdder.add_one_req for a waiting request whose prefix match is in `matchedBlocks`/`matchNode`. */
  private addOne(seq: Sequence): number {
    const page = this.page;
    const matchedTokens = seq.matchedBlocks * seq.req.hashBlockTokens;
    const maxNew = this.maxNew(seq);
    const extend = seq.prefillTarget - matchedTokens;
    const total = extend + maxNew + page;
    if (total >= this.remTotal()) return NO_TOKEN;
    const inputTokens = ceilTo(extend, page);
    if (this.remChunk === null && this.batch.length > 0 && inputTokens >= this.remInput) return OTHER;

    // The match is pinned while the budget is checked: its pages no longer count as evictable.
    const node = seq.matchNode ?? this.kv.root;
    this.kv.lock(node);
    if (total > this.remTotal()) {
      this.kv.unlock(node);
      return NO_TOKEN;
    }
    let chunk: number;
    if (this.remChunk === null || inputTokens <= this.remChunk) {
      chunk = extend;
      this.reserve(inputTokens, maxNew);
    } else {
      const end = Math.floor((matchedTokens + Math.floor(this.remChunk / page) * page) / page) * page;
      chunk = end - matchedTokens;
      if (chunk <= 0) {
        this.kv.unlock(node);
        return OTHER;
      }
      this.newChunked = seq;
      this.reserve(chunk, 0);
    }
    seq.cacheNode = node;
    seq.heldEntries = seq.matchedBlocks;
    seq.sharedBlocks = (matchedTokens / page) | 0;
    seq.privateBlocks = 0;
    seq.computed = matchedTokens;
    seq.chunk = chunk;
    this.batch.push(seq);
    return this.budgetState();
  }

  /** `_update_prefill_budget`: the KV budget is charged the chunk, the output estimate and a page. */
  private reserve(extend: number, maxNew: number): void {
    this.totalOffset += extend + maxNew + this.page;
    this.curOffset += extend;
    this.remInput -= extend;
    if (this.remChunk !== null) this.remChunk -= extend;
  }

  private budgetState(): number {
    if (this.remTotal() <= 0 || this.kv.available * this.page - this.curOffset <= 0) return NO_TOKEN;
    if (this.remInput <= 0 || (this.remChunk !== null && this.remChunk <= 0)) return OTHER;
    return CONTINUE;
  }

  private remTotal(): number {
    return this.kv.available * this.page - this.totalOffset;
  }

  /** The output still to come, clipped (SGLang's `max_new_tokens` is the request's output length here). */
  private maxNew(seq: Sequence): number {
    return Math.min(Math.max(seq.req.outputTokens - seq.generated, 0), CLIP_MAX_NEW_TOKENS);
  }

  /** Σ over running requests of min(remaining output, clip), before the new-token ratio. */
  private runningOffset(): number {
    const d = this.decodeStep;
    let sum = this.remainingBase - this.decodes.count * d;
    const long = this.longDecodes;
    for (let i = 0; i < long.length; i++) {
      const s = long[i];
      const rem = s.req.outputTokens - s.generated - (d - s.decodeStart);
      if (rem > CLIP_MAX_NEW_TOKENS) sum -= rem - CLIP_MAX_NEW_TOKENS;
    }
    return sum;
  }

  /** `init_next_round_input`: the cached prefix of a waiting request, leaving one token to compute. */
  private matchPrefix(seq: Sequence): void {
    const req = seq.req;
    const hbt = req.hashBlockTokens;
    seq.matchedBlocks = 0;
    seq.matchNode = this.kv.root;
    if (!this.radix || req.prefixHashes.length === 0 || hbt <= 0 || hbt % this.page !== 0) return;
    const limit = Math.min(req.prefixHashes.length, Math.floor((seq.prefillTarget - 1) / hbt));
    seq.matchedBlocks = this.kv.match(req.prefixHashes, limit, hbt / this.page);
    seq.matchNode = this.kv.lastMatch;
  }

  /** `update_running_batch`: retract when the next decode step has no room, else decay the ratio. */
  private updateRunningBatch(): void {
    const initial = this.decodes.count;
    let retracted = false;
    if (this.decodes.pagesNeeded(this.decodeStep + 1) > this.kv.available) {
      this.retract();
      retracted = true;
    } else {
      this.newTokenRatio = Math.max(this.newTokenRatio - this.ratioDecay, this.minRatio);
    }
    if (this.finishedSinceUpdate || retracted || this.decodes.count < initial) this.batchIsFull = false;
    this.finishedSinceUpdate = false;
  }

  /**
   * `retract_decode`: retracts requests, fewest output tokens first (ties: longest prompt), until
   * the rest have room for their next token; never the last one. Retracted requests keep their
   * prompt in the radix cache, free the rest and rejoin the waiting queue to be recomputed.
   */
  private retract(): void {
    const d = this.decodeStep;
    const next = d + 1;
    const bs = this.page;
    const finishing = this.decodes.finishing;
    const order = this.retractScratch;
    order.length = 0;
    for (let i = 0; i < finishing.size; i++) order.push(finishing.at(i));
    for (const s of order) s.chunk = s.generated + (d - s.decodeStart); // generated so far (scratch)
    order.sort((a, b) => b.chunk - a.chunk || a.req.promptTokens - b.req.promptTokens || a.req.id - b.req.id);
    let need = this.decodes.pagesNeeded(next);
    let first = true;
    while (first || need > this.kv.available) {
      // SGLang never retracts the last request (it asserts a page is free for it); here it goes
      // too when even one page is missing, so the chunked or transferring requests can proceed.
      if (order.length === 0 || (order.length === 1 && need <= this.kv.available)) break;
      first = false;
      const victim = order.pop()!;
      if (victim.residue === next % bs) need--;
      this.retractOne(victim);
      // release_req: make the newly evictable pages free at once, for the remaining steps' room.
      const room = order.length * RETRACT_DECODE_STEPS;
      if (this.kv.available - this.kv.evictable < room) this.kv.evict(room - (this.kv.available - this.kv.evictable));
    }
    let decoded = 0;
    let maxNew = 0;
    for (const s of order) {
      decoded += s.chunk;
      maxNew += s.req.outputTokens;
      s.chunk = 0;
    }
    this.newTokenRatio = maxNew > 0 ? Math.min(1, (decoded + RETRACT_DECODE_STEPS * order.length) / maxNew) : 1;
    order.length = 0;
  }

  private retractOne(seq: Sequence): void {
    const d = this.decodeStep;
    seq.chunk = 0;
    this.decodes.finishing.remove(seq);
    this.removeDecode(seq, d + 1, d);
    seq.generated += d - seq.decodeStart;
    this.releaseKv(seq);
    seq.phase = WAITING;
    seq.prefillTarget = seq.req.promptTokens + seq.generated;
    seq.computed = 0;
    seq.preemptions++;
    this.preemptions++;
    this.waiting.push(seq);
    this.waitingTokens += seq.prefillTarget;
  }

  /** prepare_for_decode: one new token per running request, a page where one is crossed. */
  private addDecodes(shape: BatchShape): void {
    const decodes = this.decodes;
    this.kv.allocate(decodes.pagesNeeded(this.decodeStep + 1));
    this.stepDecodes = decodes.count;
    shape.decodeSeqs = decodes.count;
    shape.decodeContextTokens = decodes.context;
    // Tree nodes locked by several sequences: repeat reads for the attention cost. Counted on
    // decode steps only (a prefill batch reads the prefixes of its own requests, not all locks).
    shape.sharedKvTokens = this.kv.repeats.repeatBlocks * this.page;
    shape.sharedKvDistinctTokens = this.kv.repeats.sharedBlocks * this.page;
  }

  landStep(_k: number, now: number): void {
    const decoded = this.stepDecodes;
    if (decoded > 0) {
      this.tokensGenerated += decoded;
      this.decodes.advance(decoded);
      this.decodeStep++;
    }
    const batch = this.batch;
    for (let i = 0; i < batch.length; i++) {
      const seq = batch[i];
      seq.computed += seq.chunk;
      this.promptTokensComputed += seq.chunk;
      seq.chunk = 0;
      this.cachePrefix(seq);
      if (seq.computed === seq.prefillTarget) {
        if (this.chunked === seq) this.chunked = null;
        this.prefilling--;
        this.finishPrefill(seq, now);
      } else {
        // The chunked request leaves the merged batch (`filter_batch(chunked_req_to_exclude)`).
        this.batchIsFull = false;
      }
    }
    batch.length = 0;
    if (decoded > 0) {
      const finishing = this.decodes.finishing;
      const d = this.decodeStep;
      for (let top = finishing.peek(); top && top.finishStep === d; top = finishing.peek()) {
        finishing.pop();
        this.removeDecode(top, d + 1);
        top.generated = top.req.outputTokens;
        this.finishedSinceUpdate = true;
        this.finish(top, now);
      }
    }
    this.stepDecodes = 0;
  }

  /** `cache_unfinished_req`: computed full prompt blocks go into the radix tree; the lock moves to the deepest. */
  private cachePrefix(seq: Sequence): void {
    const req = seq.req;
    const hbt = req.hashBlockTokens;
    if (!this.radix || hbt <= 0 || hbt % this.page !== 0) return;
    const perBlock = hbt / this.page;
    const limit = Math.min(req.prefixHashes.length, Math.floor(Math.min(seq.computed, req.promptTokens) / hbt));
    if (seq.heldEntries >= limit) return;
    let node: RadixNode = seq.cacheNode ?? this.kv.root;
    let i = seq.heldEntries;
    for (; i < limit; i++) {
      const r = this.kv.insert(node, req.prefixHashes[i], perBlock);
      // The same hash cached for another block size: keep the rest private.
      if (r.node.pages !== perBlock) break;
      seq.privateBlocks -= perBlock;
      seq.sharedBlocks += perBlock;
      // Already cached by another request: this copy is a duplicate and is freed.
      if (r.existed) this.kv.release(perBlock);
      node = r.node;
    }
    if (node !== seq.cacheNode) {
      this.kv.lock(node);
      if (seq.cacheNode) this.kv.unlock(seq.cacheNode);
      seq.cacheNode = node;
    }
    seq.heldEntries = i;
  }

  private finishPrefill(seq: Sequence, now: number): void {
    seq.generated++;
    this.tokensGenerated++;
    if (seq.prefillOnly) {
      // Disaggregated: the KV waits for the transfer; the first token reaches the client from the decode side.
      seq.prefillDoneAt = now;
      seq.phase = TRANSFERRING;
      this.transfers.add(seq);
      this.events.onPrefillDone?.(seq, now);
      return;
    }
    if (seq.firstTokenAt < 0) {
      seq.firstTokenAt = now;
      this.events.onFirstToken(seq, now);
    }
    this.enterDecode(seq, now);
  }

  private enterDecode(seq: Sequence, now: number): void {
    if (seq.generated >= seq.req.outputTokens) {
      this.finish(seq, now);
      return;
    }
    this.decodes.enter(seq, this.decodeStep);
    const remaining = seq.req.outputTokens - seq.generated;
    this.remainingBase += remaining + seq.decodeStart;
    if (remaining > CLIP_MAX_NEW_TOKENS) this.longDecodes.push(seq);
  }

  private removeDecode(seq: Sequence, nextStep: number, allocatedStep = nextStep - 1): void {
    this.decodes.remove(seq, nextStep, allocatedStep);
    this.remainingBase -= seq.req.outputTokens - seq.generated + seq.decodeStart;
    if (seq.req.outputTokens - seq.generated > CLIP_MAX_NEW_TOKENS) {
      const long = this.longDecodes;
      const i = long.indexOf(seq);
      long[i] = long[long.length - 1];
      long.pop();
    }
  }

  private finish(seq: Sequence, now: number): void {
    this.releaseKv(seq);
    seq.phase = FINISHED;
    seq.finishedAt = now;
    this.completed++;
    this.kvFreed = true;
    this.events.onComplete(seq, now);
  }

  /** `cache_finished_req` / `release_req`: private pages back to the pool, the prefix lock released. */
  private releaseKv(seq: Sequence): void {
    this.kv.release(seq.privateBlocks);
    if (seq.cacheNode) this.kv.unlock(seq.cacheNode);
    seq.cacheNode = null;
    seq.heldEntries = seq.sharedBlocks = seq.privateBlocks = 0;
  }

  private prefillingCount(): number {
    return this.prefilling;
  }

  checkInvariants(_step: number, busy: boolean): string | null {
    const kvProblem = this.kv.checkInvariants();
    if (kvProblem) return kvProblem;
    const d = this.decodeStep;
    const decodes = this.decodes;
    // While a decode step runs, its pages (for step d + 1) are already held.
    const held = busy && this.stepDecodes > 0 ? d + 1 : d;
    if (this.running > this.maxRunning) return `${this.running} running > max_running_requests ${this.maxRunning}`;
    const locks = new Map<RadixNode, number>();
    const holdLock = (s: Sequence) => {
      for (let x: RadixNode | null = s.cacheNode; x && x !== this.kv.root; x = x.parent) locks.set(x, (locks.get(x) ?? 0) + 1);
    };
    let pages = 0;
    let context = 0;
    let remaining = 0;
    const crossings = new Int32Array(this.page);
    for (let i = 0; i < decodes.finishing.size; i++) {
      const s = decodes.finishing.at(i);
      if (s.phase !== DECODE) return `request ${s.req.id} in the decode set in phase ${s.phase}`;
      if (s.finishStep <= d) return `request ${s.req.id} decodes past its last step ${s.finishStep}`;
      context += decodes.kvTokens(s, d + 1);
      crossings[s.residue]++;
      remaining += s.req.outputTokens - s.generated + s.decodeStart;
      pages += Math.ceil(decodes.kvTokens(s, held) / this.page) - s.sharedBlocks;
      holdLock(s);
    }
    if (decodes.finishing.size !== decodes.count) return `decode count ${decodes.count}, heap ${decodes.finishing.size}`;
    if (context !== decodes.context) return `decode context ${decodes.context} != ${context}`;
    if (remaining !== this.remainingBase) return `remaining-output sum ${this.remainingBase} != ${remaining}`;
    for (let r = 0; r < this.page; r++) {
      if (crossings[r] !== decodes.crossings[r]) return `page crossings at residue ${r}: ${decodes.crossings[r]} != ${crossings[r]}`;
    }
    const prefilling = new Set<Sequence>(this.batch);
    if (this.chunked) prefilling.add(this.chunked);
    if (prefilling.size !== this.prefilling) return `${this.prefilling} prefilling, ${prefilling.size} in the batch or chunked`;
    for (const s of prefilling) {
      if (s.phase !== PREFILL) return `prefilling request ${s.req.id} in phase ${s.phase}`;
      if (s.computed >= s.prefillTarget) return `request ${s.req.id} prefilling with ${s.computed}/${s.prefillTarget} tokens`;
      pages += s.privateBlocks;
      holdLock(s);
    }
    for (const s of this.transfers) {
      if (s.phase !== TRANSFERRING) return `transferring request ${s.req.id} in phase ${s.phase}`;
      pages += s.privateBlocks;
      holdLock(s);
    }
    pages += this.kv.protected;
    if (pages !== this.kv.used) return `sequences hold ${pages} pages, pool says ${this.kv.used} used`;
    const stack: RadixNode[] = [this.kv.root];
    while (stack.length > 0) {
      const x = stack.pop()!;
      if (x !== this.kv.root && x.lockRef !== (locks.get(x) ?? 0)) return `node ${x.id} locked ${x.lockRef} times, held by ${locks.get(x) ?? 0}`;
      if (x.children) for (const c of x.children.values()) stack.push(c);
    }
    let tokens = 0;
    for (const s of this.waiting) {
      if (s.phase !== WAITING) return `waiting request ${s.req.id} in phase ${s.phase}`;
      tokens += s.prefillTarget;
    }
    if (tokens !== this.waitingTokens) return `waiting tokens ${this.waitingTokens} != ${tokens}`;
    return null;
  }
}

function ceilTo(tokens: number, page: number): number {
  return Math.ceil(tokens / page) * page;
}
