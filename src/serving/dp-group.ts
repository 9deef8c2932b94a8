import type { Engine, RankHint } from './engine.js';
import type { Sequence, ServedRequest } from './sequence.js';

/** Per-rank load a data-parallel dispatcher reads (SGLang's num_reqs and num_tokens). */
export interface RankLoad {
  numReqs: number;
  numTokens: number;
}

/** Picks a rank for a request; the cluster supplies one of SGLang's methods. */
export type RankPicker = (req: { id: number; promptTokens: number; bootstrapRoom?: number }, ranks: readonly RankLoad[]) => number;

/**
 * A server with data-parallel ranks (SGLang `--dp-size`): independent engines, each with its own
 * batch and KV, behind a dispatcher that picks a rank per request from live per-rank loads.
 */
export class DpGroup implements Engine {
  private readonly loads: RankLoad[];
  /** Requests dispatched to each rank, for the served-by-rank balance. */
  readonly dispatchedPerRank: number[];
  private readonly rankOf = new WeakMap<Sequence, Engine>();
  private readonly query = { id: 0, promptTokens: 0, bootstrapRoom: undefined as number | undefined };

  constructor(
    readonly id: string,
    private readonly members: readonly Engine[],
    private readonly pick: RankPicker,
  ) {
    this.loads = members.map(() => ({ numReqs: 0, numTokens: 0 }));
    this.dispatchedPerRank = members.map(() => 0);
  }

  get ranks(): number {
    return this.members.length;
  }
  get slots(): number {
    return this.sum((m) => m.slots);
  }
  get running(): number {
    return this.sum((m) => m.running);
  }
  get queued(): number {
    return this.sum((m) => m.queued);
  }
  get queuedPromptTokens(): number {
    return this.sum((m) => m.queuedPromptTokens);
  }
  get freeKvTokens(): number {
    return this.sum((m) => m.freeKvTokens);
  }
  get usedKvTokens(): number {
    return this.sum((m) => m.usedKvTokens);
  }
  get kvCapacityTokens(): number {
    return this.sum((m) => m.kvCapacityTokens);
  }
  get kvUsage(): number {
    return this.sum((m) => m.usedKvTokens) / this.sum((m) => m.kvCapacityTokens);
  }
  get busyTime(): number {
    return this.sum((m) => m.busyTime);
  }
  get promptTokensComputed(): number {
    return this.sum((m) => m.promptTokensComputed);
  }
  get tokensGenerated(): number {
    return this.sum((m) => m.tokensGenerated);
  }
  get preemptions(): number {
    return this.sum((m) => m.preemptions);
  }
  get preallocatesBeforePrefill(): boolean {
    return this.members[0].preallocatesBeforePrefill;
  }
  get working(): boolean {
    return this.members.some((m) => m.working);
  }

  /** The ranks themselves (for per-rank reporting). */
  get rankEngines(): readonly Engine[] {
    return this.members;
  }

  checkInvariants(): string | null {
    for (const m of this.members) {
      const p = m.checkInvariants();
      if (p) return p;
    }
    return null;
  }

  admissionError(req: ServedRequest): string | null {
    return this.members[0].admissionError(req);
  }

  enqueue(req: ServedRequest, owner?: unknown, hint?: RankHint): Sequence {
    const rank = this.choose(req, hint);
    const seq = rank.enqueue(req, owner);
    this.placed(seq, rank);
    return seq;
  }

  enqueuePrefillOnly(req: ServedRequest, owner?: unknown, hint?: RankHint): Sequence {
    const rank = this.choose(req, hint);
    const seq = rank.enqueuePrefillOnly(req, owner);
    this.placed(seq, rank);
    return seq;
  }

  releaseTransferred(seq: Sequence): void {
    this.rankOf.get(seq)!.releaseTransferred(seq);
  }

  reserveTransfer(req: ServedRequest, owner?: unknown, hint?: RankHint): Sequence | null {
    const rank = this.choose(req, hint);
    const seq = rank.reserveTransfer(req, owner);
    // A reservation that does not fit yet is retried later: count it only when it is taken.
    if (seq) this.placed(seq, rank);
    return seq;
  }

  admitTransferred(seq: Sequence): void {
    this.rankOf.get(seq)!.admitTransferred(seq);
  }

  private choose(req: ServedRequest, hint: RankHint | undefined): Engine {
    for (let i = 0; i < this.members.length; i++) {
      const m = this.members[i];
      this.loads[i].numReqs = m.running + m.queued;
      this.loads[i].numTokens = m.usedKvTokens + m.queuedPromptTokens;
    }
    const q = this.query;
    q.id = req.id;
    q.promptTokens = req.promptTokens;
    q.bootstrapRoom = hint?.bootstrapRoom;
    return this.members[this.pick(q, this.loads)];
  }

  private placed(seq: Sequence, rank: Engine): void {
    this.rankOf.set(seq, rank);
    this.dispatchedPerRank[this.members.indexOf(rank)]++;
  }

  private sum(f: (m: Engine) => number): number {
    let s = 0;
    for (const m of this.members) s += f(m);
    return s;
  }
}
