import type { Sequence, ServedRequest } from './sequence.js';

/** What a data-parallel dispatcher is told about a request (SGLang PD passes the bootstrap room). */
export interface RankHint {
  readonly bootstrapRoom?: number;
}

/**
 * An inference server as the cluster drives it: one engine (Instance) or several data-parallel
 * ranks behind a dispatcher (DpGroup). Counts are summed over ranks.
 */
export interface Engine {
  readonly id: string;
  /** Data-parallel ranks (1 for a plain instance). */
  readonly ranks: number;
  /** Batch slots over all ranks (max_num_seqs x ranks). */
  readonly slots: number;
  readonly running: number;
  readonly queued: number;
  readonly queuedPromptTokens: number;
  /** Fraction of KV blocks held by running sequences. */
  readonly kvUsage: number;
  readonly freeKvTokens: number;
  readonly usedKvTokens: number;
  /** KV tokens the engine holds at all (summed over ranks). */
  readonly kvCapacityTokens: number;
  /** Busy time summed over ranks, seconds. */
  readonly busyTime: number;
  readonly promptTokensComputed: number;
  readonly tokensGenerated: number;
  readonly preemptions: number;
  /**
   * Decode side of disaggregation: whether the prefill waits for this engine to preallocate the
   * prompt's KV before it starts (SGLang's bootstrap), rather than reserving after the prefill.
   */
  readonly preallocatesBeforePrefill: boolean;
  /** Whether a step is running or about to start (on any rank). */
  readonly working: boolean;
  admissionError(req: ServedRequest): string | null;
  enqueue(req: ServedRequest, owner?: unknown, hint?: RankHint): Sequence;
  enqueuePrefillOnly(req: ServedRequest, owner?: unknown, hint?: RankHint): Sequence;
  releaseTransferred(seq: Sequence): void;
  reserveTransfer(req: ServedRequest, owner?: unknown, hint?: RankHint): Sequence | null;
  admitTransferred(seq: Sequence): void;
  /** What is wrong with the engine's state, or null when its invariants hold (tests; visits every sequence). */
  checkInvariants(): string | null;
}
