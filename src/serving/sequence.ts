import type { RadixNode } from './radix-cache.js';

/** What an instance needs to know about a request. The workload's RequestSpec satisfies it. */
export interface ServedRequest {
  readonly id: number;
  readonly promptTokens: number;
  readonly outputTokens: number;
  readonly prefixHashes: readonly number[];
  readonly hashBlockTokens: number;
}

export const WAITING = 0;
export const PREFILL = 1;
export const DECODE = 2;
export const FINISHED = 3;
/** Prefill/decode disaggregation: KV held for (prefill side) or reserved by (decode side) a transfer. */
export const TRANSFERRING = 4;
export type Phase = typeof WAITING | typeof PREFILL | typeof DECODE | typeof FINISHED | typeof TRANSFERRING;

/** One request's state inside an instance. */
export class Sequence {
  phase: Phase = WAITING;
  /** Tokens to compute before decoding: the prompt, plus tokens generated before a preemption. */
  prefillTarget: number;
  /** Tokens of `prefillTarget` whose KV is in place (computed or found in the prefix cache). */
  computed = 0;
  /** Tokens of the current step's prefill chunk. */
  chunk = 0;
  /** Output tokens generated so far. */
  generated = 0;
  /** Leading prefix-cache entries this sequence references, and the blocks they cover. */
  heldEntries = 0;
  sharedBlocks = 0;
  /** Blocks held privately (for a decoding sequence: as of the step it entered decode). */
  privateBlocks = 0;
  /** Decode bookkeeping: the step the prefill finished, the step the last token comes out. */
  decodeStart = 0;
  finishStep = 0;
  /** Steps at which this sequence needs a new KV block are ≡ residue (mod block size). */
  residue = 0;
  heapIndex = -1;
  prev: Sequence | null = null;
  next: Sequence | null = null;

  /** Times, seconds; -1 until they happen. */
  firstScheduledAt = -1;
  firstTokenAt = -1;
  finishedAt = -1;
  preemptions = 0;
  /** Prompt tokens found in the prefix cache at first admission. */
  cachedTokens = 0;
  /** Prefill side of a disaggregated request: stop after the prompt and hold the KV for transfer. */
  prefillOnly = false;
  /** When a prefill-only sequence finished its prompt. */
  prefillDoneAt = -1;
  /** Decode side of a disaggregated request: when the KV arrived and it joined the batch. */
  transferredAt = -1;
  /** SGLang: the deepest radix node of this sequence's cached prefix, locked while it holds KV. */
  cacheNode: RadixNode | null = null;
  /** SGLang: the last prefix match while waiting (blocks, deepest node), unlocked. */
  matchedBlocks = 0;
  matchNode: RadixNode | null = null;
  /** SGLang LPM: shares a prefix with an earlier waiting request, so it waits this round. */
  deprioritized = false;
  /** Slot for the owner of the instance (the cluster keeps its per-request record here). */
  owner: unknown = undefined;

  constructor(
    readonly req: ServedRequest,
    /** When the request reached the instance's queue. */
    readonly enqueuedAt: number,
  ) {
    this.prefillTarget = req.promptTokens;
  }
}
