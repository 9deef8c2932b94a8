import type { BatchShape } from '../hardware/types.js';
import type { KvManager } from './kv-manager.js';
import type { Sequence, ServedRequest } from './sequence.js';

/** What a scheduler reports about the sequences it serves (the instance's observer). */
export interface SchedulerEvents {
  onFirstToken(seq: Sequence, now: number): void;
  onComplete(seq: Sequence, now: number): void;
  /** A prefill-only sequence finished its prompt; its KV stays held until released. */
  onPrefillDone?(seq: Sequence, now: number): void;
}

/**
 * The batching policy of one engine kind: queue order, batch formation, admission against KV
 * memory, preemption or retraction. The instance's step clock calls `formStep` when it is idle
 * and `landStep` when the step's time has passed; in between the batch is fixed.
 */
export interface Scheduler {
  readonly kv: KvManager;
  /** Sequences in the running batch. */
  readonly running: number;
  /** Sequences waiting for admission (new, preempted, or transferred in). */
  readonly queued: number;
  /** Tokens the waiting sequences still have to prefill. */
  readonly queuedPromptTokens: number;
  /** Most sequences in the running batch. */
  readonly slots: number;
  promptTokensComputed: number;
  tokensGenerated: number;
  preemptions: number;
  completed: number;

  admissionError(req: ServedRequest): string | null;
  /** Queues a new sequence. */
  enqueue(seq: Sequence): void;
  /** A prefill-only sequence's KV has been transferred out: free it. */
  releaseTransferred(seq: Sequence): void;
  /** Decode side: reserves KV for a prompt about to be transferred in, or null when it does not fit now. */
  reserveTransfer(req: ServedRequest, now: number): Sequence | null;
  /** Decode side: the KV of a reserved sequence has arrived. */
  admitTransferred(seq: Sequence): void;
  /** Whether there is anything to schedule at all. */
  hasWork(): boolean;
  /**
   * Forms the batch of step `k` into `shape`; false when nothing runs. New sequences enqueued
   * after `admitCutoff` wait for a later step (async scheduling; Infinity: no cut), and the
   * scheduler then sets `deferred`.
   */
  formStep(k: number, now: number, shape: BatchShape, admitCutoff: number): boolean;
  /** The last `formStep` left new sequences for a later step because of its cutoff. */
  deferred: boolean;
  /** The step `k` formed last has run: tokens land, sequences finish. */
  landStep(k: number, now: number): void;
  /** After a step came out empty: whether waiting work should be tried again at once. */
  retryAfterEmpty(): boolean;
  /** Whether KV was freed by a completion since the last call (and clears the flag). */
  takeKvFreed(): boolean;
  /**
   * What is wrong with the scheduler's state, or null when its invariants hold. `step` is the
   * last step formed and `busy` whether it is still running. Visits every sequence: tests only.
   */
  checkInvariants(step: number, busy: boolean): string | null;
}
