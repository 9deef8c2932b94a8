import type { Simulator } from '../engine/index.js';
import type { BatchShape, TimingModel } from '../hardware/types.js';
import { Instance, type EngineConfig, type Sequence, type ServedRequest } from '../serving/index.js';
import type { KvHandoff } from './kv-handoff.js';

/** One simulated server as `sim serve` runs it (what the fleet file resolves to). */
export interface ServedInstanceSpec {
  id: string;
  gpuType: string;
  role: 'unified' | 'prefill' | 'decode';
  timing: TimingModel;
  kvCapacityTokens: number;
  maxModelLen: number;
  config: EngineConfig;
  /** KV bytes per token of the model (prefill -> decode transfer sizes). */
  kvBytesPerToken: number;
}

/** What a request's stream is told, at the wall-clock instants the simulation reaches them. */
export interface StreamListener {
  /** `n` more output tokens came out (n >= 1). */
  onTokens(n: number): void;
  /** The request finished: all its output tokens have been announced. */
  onDone(): void;
  /** Prefill-only request: the prompt is done and its KV waits for a decode server. */
  onPrefillDone?(): void;
}

/** Phases of serving/sequence.ts (WAITING 0, PREFILL 1, DECODE 2, FINISHED 3). */
const DECODE = 2;
const FINISHED = 3;
/** Decode side of PD: KV reserved, transfer under way (its one token is shown when it joins the batch). */
const TRANSFERRING = 4;

/** A request in flight on this instance, and how many of its tokens were announced. */
class Active {
  seq: Sequence | undefined;
  emitted = 0;
  decodingInStep = false;
  cancelled = false;
  constructor(
    readonly req: ServedRequest,
    readonly listener: StreamListener,
    readonly arrivedAt: number,
  ) {}
}

/** Running sums behind the engine's histograms (vLLM exposes _sum and _count). */
export class LatencySums {
  count = 0;
  sum = 0;
  add(v: number): void {
    this.count++;
    this.sum += v;
  }
}

/**
 * A serving Instance driven on the wall clock, with each request's tokens announced at the
 * simulated step that produces them. The instance announces first tokens and completions only
 * (decodes are not visited one by one); the steps in between are observed through its timing
 * model: at the start of a step the sequences decoding in it are noted, and right after the step
 * ends each of them has one more token.
 */
export class ServedInstance {
  readonly instance: Instance;
  private readonly active = new Set<Active>();
  private readonly bySeq = new Map<Sequence, Active>();
  /** Decode side of PD: requests waiting for KV room before their transfer can start. */
  private readonly awaitingKv: (() => boolean)[] = [];

  // Counters behind the vLLM metrics.
  requestsFinished = 0;
  promptTokensTotal = 0;
  readonly ttft = new LatencySums();
  readonly tpot = new LatencySums();
  readonly e2e = new LatencySums();
  readonly queueTime = new LatencySums();
  readonly prefillTime = new LatencySums();
  readonly decodeTime = new LatencySums();
  readonly promptTokens = new LatencySums();
  readonly generationTokens = new LatencySums();

  constructor(
    readonly spec: ServedInstanceSpec,
    private readonly sim: Simulator,
    private readonly handoff: KvHandoff,
  ) {
    const timing = this.observedTiming(spec.timing);
    this.instance = new Instance({
      id: spec.id,
      sim,
      timing,
      config: spec.config,
      kvCapacityTokens: spec.kvCapacityTokens,
      maxModelLen: spec.maxModelLen,
      observer: {
        onFirstToken: (seq) => this.announce(seq),
        onComplete: (seq) => this.completed(seq),
        onPrefillDone: (seq) => this.prefillDone(seq),
        onKvFreed: () => this.retryTransfers(),
      },
    });
  }

  private observedTiming(inner: TimingModel): TimingModel {
    const afterStep = () => this.afterStep();
    const stepEnded = () => this.sim.schedule(this.sim.now, afterStep);
    return {
      name: inner.name,
      stepTime: (shape: BatchShape) => {
        const d = inner.stepTime(shape);
        for (const a of this.active) a.decodingInStep = a.seq !== undefined && a.seq.phase === DECODE;
        // Runs before the instance's own end-of-step event at the same time, so it defers once
        // more: the deferred event runs after the step's bookkeeping and before the next step.
        this.sim.schedule(this.sim.now + d, stepEnded);
        return d;
      },
    };
  }

  /** Why the instance can never serve this request, or null. */
  admissionError(req: ServedRequest): string | null {
    return this.instance.admissionError(req);
  }

  /** A plain request: prefill and decode here. */
  submit(req: ServedRequest, listener: StreamListener): Active {
    const a = new Active(req, listener, this.sim.now);
    this.track(a, this.instance.enqueue(req, a));
    return a;
  }

  /** Prefill side of PD: the prompt only; its KV is handed off under `room`. */
  submitPrefill(req: ServedRequest, room: number, listener: StreamListener): Active {
    const a = new Active(req, listener, this.sim.now);
    const seq = this.instance.enqueuePrefillOnly(req, a);
    this.track(a, seq);
    this.prefillRooms.set(seq, room);
    return a;
  }

  private readonly prefillRooms = new Map<Sequence, number>();

  /**
   * Decode side of PD: waits for the prefill of `room`, reserves KV for the prompt, receives it
   * over the link, then decodes here. The first token is announced when the sequence joins the
   * batch (it was made by the prefill server).
   */
  submitDecode(req: ServedRequest, room: number, listener: StreamListener): Active {
    const a = new Active(req, listener, this.sim.now);
    this.active.add(a);
    this.handoff.claim(room, (source) => {
      if (a.cancelled) {
        source.release();
        return;
      }
      const tryReserve = (): boolean => {
        const seq = this.instance.reserveTransfer(req, a);
        if (!seq) return false;
        a.seq = seq;
        this.bySeq.set(seq, a);
        const seconds = this.handoff.transferSeconds(req.promptTokens * this.spec.kvBytesPerToken);
        this.sim.schedule(this.sim.now + seconds, () => {
          source.release();
          this.instance.admitTransferred(seq);
        });
        return true;
      };
      if (!tryReserve()) this.awaitingKv.push(tryReserve);
    });
    return a;
  }

  /** The client went away: stop announcing (the simulated work runs on, as an engine would until it sees the abort). */
  cancel(a: Active): void {
    a.cancelled = true;
  }

  private track(a: Active, seq: Sequence): void {
    a.seq = seq;
    this.active.add(a);
    this.bySeq.set(seq, a);
  }

  private retryTransfers(): void {
    while (this.awaitingKv.length > 0 && this.awaitingKv[0]()) this.awaitingKv.shift();
  }

  private tokensSoFar(a: Active, joining = false): number {
    const s = a.seq;
    if (!s) return 0;
    if (s.phase === FINISHED) return s.req.outputTokens;
    if (s.phase === TRANSFERRING) return joining ? s.generated : a.emitted;
    if (s.phase === DECODE) return a.decodingInStep ? a.emitted + 1 : s.generated;
    return s.prefillOnly ? 0 : s.generated;
  }

  private emitTo(a: Active, n: number): void {
    if (n > a.emitted) {
      const more = n - a.emitted;
      a.emitted = n;
      if (!a.cancelled) a.listener.onTokens(more);
    }
  }

  /** The instance's first-token event: a prefill finished, or a transferred sequence joined the batch. */
  private announce(seq: Sequence): void {
    const a = this.bySeq.get(seq);
    if (a) this.emitTo(a, this.tokensSoFar(a, true));
  }

  private afterStep(): void {
    for (const a of this.active) {
      if (a.seq && a.seq.phase !== FINISHED) this.emitTo(a, this.tokensSoFar(a));
      a.decodingInStep = false;
    }
  }

  private completed(seq: Sequence): void {
    const a = this.bySeq.get(seq);
    const now = this.sim.now;
    const req = seq.req;
    const arrived = a ? a.arrivedAt : seq.enqueuedAt;
    const ttft = seq.firstTokenAt - arrived;
    this.requestsFinished++;
    this.ttft.add(ttft);
    this.e2e.add(now - arrived);
    if (req.outputTokens > 1) this.tpot.add((now - seq.firstTokenAt) / (req.outputTokens - 1));
    this.queueTime.add(Math.max(0, seq.firstScheduledAt - seq.enqueuedAt));
    this.prefillTime.add(Math.max(0, seq.firstTokenAt - seq.firstScheduledAt));
    this.decodeTime.add(now - seq.firstTokenAt);
    this.promptTokens.add(req.promptTokens);
    this.generationTokens.add(req.outputTokens);
    if (!a) return;
    this.emitTo(a, req.outputTokens);
    this.forget(a, seq);
    if (!a.cancelled) a.listener.onDone();
  }

  private prefillDone(seq: Sequence): void {
    const a = this.bySeq.get(seq);
    const room = this.prefillRooms.get(seq);
    this.prefillRooms.delete(seq);
    this.promptTokensTotal += seq.req.promptTokens;
    if (room !== undefined) {
      this.handoff.offer(room, () => {
        this.instance.releaseTransferred(seq);
      });
    }
    if (!a) return;
    this.forget(a, seq);
    if (!a.cancelled) {
      a.listener.onTokens(1);
      a.listener.onPrefillDone?.();
    }
  }

  private forget(a: Active, seq: Sequence): void {
    this.active.delete(a);
    this.bySeq.delete(seq);
  }

  /** Requests holding a stream here (running, queued or waiting for their KV). */
  get inFlight(): number {
    return this.active.size;
  }
}

export type { Active };
