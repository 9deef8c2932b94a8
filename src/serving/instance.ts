import type { Simulator } from '../engine/index.js';
import type { BatchShape, TimingModel } from '../hardware/types.js';
import type { EngineConfig } from './engine-config.js';
import type { Engine } from './engine.js';
import type { KvManager } from './kv-manager.js';
import type { Scheduler, SchedulerEvents } from './scheduler.js';
import { Sequence, type ServedRequest } from './sequence.js';
import { SglangScheduler } from './sglang-scheduler.js';
import { VllmScheduler } from './vllm-scheduler.js';

/** Receives the events of an instance that matter outside it. */
export interface InstanceObserver extends SchedulerEvents {
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
 * One inference engine: a step clock driving a scheduler (batch formation, queue order,
 * preemption) that owns a KV manager (paged blocks, prefix cache). The clock runs one step at a
 * time: when idle and there is work it asks the scheduler to form a batch, asks the timing model
 * how long that batch takes, and lands it when the time has passed.
 *
 * Invariants (see docs/engines.md; `checkInvariants` checks them):
 * - At most one step runs at a time; a step is formed only when none runs, and a kick while a
 *   step runs or is about to start is absorbed by it.
 * - Step numbers increase by one per formed batch; time never goes backwards.
 * - The scheduler's own invariants hold (KV accounting, batch limits, decode aggregates).
 */
export class Instance implements Engine {
  readonly id: string;
  readonly ranks = 1;
  readonly config: EngineConfig;
  readonly scheduler: Scheduler;
  private readonly sim: Simulator;
  private readonly timing: TimingModel;
  private readonly observer: InstanceObserver;

  private stepNo = 0;
  /** Async scheduling: new requests enqueued after this time wait one more step (Infinity: no cut). */
  private admitCutoff = Infinity;
  private stepStartedAt = 0;
  private busy = false;
  private stepPending = false;
  private readonly shape: BatchShape = {
    prefillTokens: 0,
    prefillSeqs: 0,
    prefillAttentionPairs: 0,
    prefillContextTokens: 0,
    decodeSeqs: 0,
    decodeContextTokens: 0,
    sharedKvTokens: 0,
    sharedKvDistinctTokens: 0,
  };

  /** Cumulative busy time and steps, for metrics. */
  busyTime = 0;
  steps = 0;

  private readonly startStepFn = () => this.startStep();
  private readonly endStepFn = () => this.endStep();

  constructor(opts: InstanceOptions) {
    this.id = opts.id;
    this.sim = opts.sim;
    this.timing = opts.timing;
    this.config = opts.config;
    this.observer = opts.observer;
    this.scheduler =
      opts.config.kind === 'sglang'
        ? new SglangScheduler(opts.config, opts.kvCapacityTokens, opts.maxModelLen, opts.observer)
        : new VllmScheduler(opts.config, opts.kvCapacityTokens, opts.maxModelLen, opts.observer);
  }

  /** The KV manager (for tests and per-instance reports; the cluster reads the Engine counts). */
  get kv(): KvManager {
    return this.scheduler.kv;
  }

  get running(): number {
    return this.scheduler.running;
  }

  get queued(): number {
    return this.scheduler.queued;
  }

  /** Tokens the waiting sequences still have to prefill (SGLang's load counts them). */
  get queuedPromptTokens(): number {
    return this.scheduler.queuedPromptTokens;
  }

  get slots(): number {
    return this.scheduler.slots;
  }

  get promptTokensComputed(): number {
    return this.scheduler.promptTokensComputed;
  }

  get tokensGenerated(): number {
    return this.scheduler.tokensGenerated;
  }

  get preemptions(): number {
    return this.scheduler.preemptions;
  }

  get completed(): number {
    return this.scheduler.completed;
  }

  /** SGLang decode servers preallocate KV at bootstrap, before the prefill runs. */
  get preallocatesBeforePrefill(): boolean {
    return this.config.kind === 'sglang';
  }

  /** Whether a step is running or about to start. */
  get working(): boolean {
    return this.busy || this.stepPending;
  }

  /** KV tokens that can be allocated now (free or evictable cached blocks). */
  get freeKvTokens(): number {
    const kv = this.scheduler.kv;
    return kv.available * kv.blockSize;
  }

  get usedKvTokens(): number {
    const kv = this.scheduler.kv;
    return kv.used * kv.blockSize;
  }

  get kvCapacityTokens(): number {
    const kv = this.scheduler.kv;
    return kv.totalBlocks * kv.blockSize;
  }

  /** Fraction of KV blocks held by running sequences (cached but unreferenced blocks count as free). */
  get kvUsage(): number {
    const kv = this.scheduler.kv;
    return kv.used / kv.totalBlocks;
  }

  /** Why this instance can never serve `req`, or null if it can. */
  admissionError(req: ServedRequest): string | null {
    return this.scheduler.admissionError(req);
  }

  /** Queues a request (the caller has checked `admissionError`). */
  enqueue(req: ServedRequest, owner?: unknown): Sequence {
    const seq = new Sequence(req, this.sim.now);
    seq.owner = owner;
    this.scheduler.enqueue(seq);
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
    this.scheduler.releaseTransferred(seq);
    this.observer.onKvFreed?.(this);
    this.kick();
  }

  /**
   * Decode side: reserves KV blocks for a prompt about to be transferred in, or returns null when
   * they do not fit now. The reserved sequence already has its first token (made by the prefill side).
   */
  reserveTransfer(req: ServedRequest, owner?: unknown): Sequence | null {
    const seq = this.scheduler.reserveTransfer(req, this.sim.now);
    if (seq) seq.owner = owner;
    return seq;
  }

  /** Decode side: the KV of a reserved sequence has arrived; it joins the batch at the next step. */
  admitTransferred(seq: Sequence): void {
    this.scheduler.admitTransferred(seq);
    this.kick();
  }

  checkInvariants(): string | null {
    if (this.busy && this.stepPending) return 'a step is running and another is pending';
    const p = this.scheduler.checkInvariants(this.stepNo, this.busy);
    return p ? `${this.id}: ${p}` : null;
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
    this.formStep();
    this.stepPending = false;
    this.admitCutoff = Infinity;
    // Async scheduling left requests for the next step, and no step is running: an idle engine
    // schedules them at once.
    if (this.scheduler.deferred) {
      this.scheduler.deferred = false;
      if (!this.busy) this.kick();
    }
    // A transferred sequence that joined and finished at once freed its KV: reservations may fit.
    this.notifyKvFreed();
    if (!this.busy && this.scheduler.retryAfterEmpty()) this.kick();
  }

  private formStep(): void {
    const scheduler = this.scheduler;
    if (!scheduler.hasWork()) return;
    const k = ++this.stepNo;
    if (!scheduler.formStep(k, this.sim.now, this.shape, this.admitCutoff)) return;
    const duration = this.timing.stepTime(this.shape);
    this.stepStartedAt = this.sim.now;
    this.busy = true;
    this.busyTime += duration;
    this.steps++;
    this.sim.schedule(this.sim.now + duration, this.endStepFn);
  }

  private endStep(): void {
    this.busy = false;
    // Async scheduling: the next step's batch was fixed when this one started.
    if (this.config.asyncScheduling) this.admitCutoff = this.stepStartedAt;
    this.scheduler.landStep(this.stepNo, this.sim.now);
    // Any completion of this step (also a one-token output finishing with its prefill) freed KV.
    this.notifyKvFreed();
    this.kick();
  }

  private notifyKvFreed(): void {
    if (this.scheduler.takeKvFreed()) this.observer.onKvFreed?.(this);
  }
}
