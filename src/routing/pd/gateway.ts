import { PolicyRuntimeError, RoutingError } from '../errors.js';
import type { RouterMode } from '../gateway.js';
import { PullQueue } from '../pull-queue.js';
import { RerunGuard } from '../rerun-guard.js';
import type { CompletionInfo, EndpointView, GatewayCounters, RequestView, RoutingContext } from '../types.js';
import { splitPdEndpoints, type PdPair, type PdRoutingPolicy } from './policy.js';

/** What the PD gateway tells the host with each dispatch. */
export interface PdDispatchInfo {
  /**
   * SGLang bootstrap room of the request (the id of the P->D KV handshake), the same on both
   * sides, so a DP-rank dispatcher that follows it (`room % dp_size`) puts the prefill and the
   * decode on the same rank index. A deterministic hash of the request id (bootstrapRoomOf):
   * SGLang's router draws it at random; a hash is as uniform and consumes no randomness.
   */
  readonly bootstrapRoom: number;
  /** False when the pair is one endpoint (prefill === decode): no KV transfer. */
  readonly disaggregated: boolean;
}

export interface PdGatewayOptions {
  policy: PdRoutingPolicy;
  mode: RouterMode;
  /** Prefill and decode endpoints (checked by splitPdEndpoints: both roles, sound rolesets). */
  endpoints: readonly EndpointView[];
  ctx: RoutingContext;
  /**
   * Sends the request: the prompt to `prefill`, the decode to `decode` (the same endpoint when
   * `info.disaggregated` is false). In pull mode this is when the request leaves the router queue.
   */
  dispatch(req: RequestView, prefill: EndpointView, decode: EndpointView, info: PdDispatchInfo): void;
  /** The request cannot be routed (push mode: the policy returned no pair). */
  reject(req: RequestView, reason: string): void;
  /** Pull mode: whether `endpoint` can take the prompt now. Default defaultPrefillCapacity. */
  hasPrefillCapacity?(req: RequestView, endpoint: EndpointView): boolean;
  /**
   * Pull mode: whether `endpoint` has decode headroom for `req` now. `pendingPromptTokens` is the
   * prompt tokens of requests already routed to it for decode whose prefill has not finished
   * (their KV is not reserved there yet). Default: defaultDecodeHeadroom with
   * `decodeOutputAllowance`.
   */
  hasDecodeCapacity?(req: RequestView, endpoint: EndpointView, pendingPromptTokens: number): boolean;
  /** Pull mode: KV tokens a decode endpoint must have beyond the prompt. Default 256. */
  decodeOutputAllowance?: number;
  /** Pull mode: let later requests that fit go first when the head fits nowhere. Default false. */
  pullSkipBlocked?: boolean;
  /** Window of the drain rate (counters.drainRate1m), seconds. Default 60 (AIBrix). */
  drainWindowS?: number;
}

/** Pull mode, prefill side: a free batch slot and KV for the whole prompt. */
export function defaultPrefillCapacity(req: RequestView, endpoint: EndpointView): boolean {
  const cap = endpoint.capacity();
  return cap.freeSlots > 0 && cap.freeKvTokens >= req.promptTokens;
}

/**
 * Pull mode, decode side: free KV tokens, less the prompts already routed there whose KV has not
 * arrived, cover the prompt plus `allowance` tokens of output. No batch slot is required: the
 * decode instance queues the request until it has one.
 */
export function defaultDecodeHeadroom(req: RequestView, endpoint: EndpointView, pendingPromptTokens: number, allowance: number): boolean {
  return endpoint.capacity().freeKvTokens - pendingPromptTokens >= req.promptTokens + allowance;
}

/** A deterministic, uniform-looking bootstrap room in [0, 2^53) for a request id. */
export function bootstrapRoomOf(requestId: number): number {
  const lo = requestId >>> 0;
  const hi = Math.floor(requestId / 4294967296) >>> 0;
  const a = fmix32((lo ^ 0x9e3779b9 ^ fmix32(hi)) >>> 0);
  const b = fmix32((a ^ 0x7f4a7c15) >>> 0);
  return (b & 0x1fffff) * 4294967296 + a;
}

function fmix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

type MutableCounters = { -readonly [K in keyof GatewayCounters]-?: NonNullable<GatewayCounters[K]> };

interface EndpointState {
  /** Prompt tokens of requests routed here for decode whose prefill has not finished. */
  pendingPromptTokens: number;
  /** Completion times within the drain window (from `head`). */
  completions: number[];
  head: number;
}

interface InFlight {
  readonly req: RequestView;
  readonly prefill: EndpointView;
  readonly decode: EndpointView;
  prefillDone: boolean;
}

/** AIBrix calculateRate1m discards rates computed over less than this, seconds. */
const MIN_DRAIN_ELAPSED_S = 10;

/**
 * The prefill/decode gateway: calls a PD policy for a (prefill, decode) pair, holds the
 * router-side queue in pull mode, and owns the PD counters the policies read.
 *
 * Host protocol (all times from ctx.now()):
 * - `submit(req)` at arrival. Push: the pair is picked now and `dispatch` is called (or `reject`).
 *   Pull: the request is queued and dispatched, in FIFO order, once a prefill endpoint has
 *   capacity and a decode endpoint has headroom (see PdGatewayOptions).
 * - `prefillDone(req, prefill)` when the prompt has finished on the prefill endpoint and the KV
 *   transfer starts (for a pair with prefill === decode: when its prefill finishes).
 * - `complete(req, decode, info)` when the request completes (also ends a prefill that never
 *   reported done, e.g. an aborted request).
 * - `capacityChanged()` (pull) whenever an endpoint reports new capacity without one of the above.
 *
 * Counters (endpoint.counters), moved synchronously:
 * - inflight, inflightPromptTokens, dispatched, completed: on both endpoints of the pair (once
 *   when they are the same), from dispatch to completion (SGLang's load guards on P and D);
 * - prefillInflight (prefill endpoint) and pendingDecode (decode endpoint): dispatch to prefill
 *   done (AIBrix PrefillRequestTracker and PendingDecodeTracker);
 * - decodeRunning (prefill done to completion) and decodeStarted (ever reached), decode endpoint;
 * - drainRate1m (decode endpoints): completions per second over the last `drainWindowS`,
 *   refreshed before every routing decision; NaN until 10 s have passed.
 * A policy that throws becomes PolicyRuntimeError (policy name, request id, phase). Host calls
 * that do not match a dispatched request throw RoutingError.
 */
export class PdGateway {
  readonly prefill: readonly EndpointView[];
  readonly decode: readonly EndpointView[];
  private readonly state = new Map<EndpointView, EndpointState>();
  private readonly flights = new Map<number, InFlight>();
  private readonly queue = new PullQueue();
  private readonly pBuf: EndpointView[] = [];
  private readonly dBuf: EndpointView[] = [];
  private readonly drains = new RerunGuard();
  private readonly startedAt: number;
  private readonly allowance: number;
  private readonly windowS: number;
  /** Time of the last drain-rate refresh, and whether a completion happened since. */
  private drainStamp = Number.NaN;
  private drainDirty = true;

  constructor(private readonly opts: PdGatewayOptions) {
    const { prefill, decode } = splitPdEndpoints(opts.endpoints, `PD policy "${opts.policy.name}"`);
    this.prefill = prefill;
    this.decode = decode;
    this.allowance = opts.decodeOutputAllowance ?? 256;
    this.windowS = opts.drainWindowS ?? 60;
    if (!(this.allowance >= 0)) throw new RoutingError(`decodeOutputAllowance must be >= 0, got ${opts.decodeOutputAllowance}`);
    if (!(this.windowS > 0)) throw new RoutingError(`drainWindowS must be > 0, got ${opts.drainWindowS}`);
    for (const e of opts.endpoints) {
      const c = e.counters as MutableCounters;
      c.pendingLoad ??= 0;
      c.prefillInflight ??= 0;
      c.pendingDecode ??= 0;
      c.decodeRunning ??= 0;
      c.decodeStarted ??= 0;
      c.drainRate1m ??= Number.NaN;
      this.state.set(e, { pendingPromptTokens: 0, completions: [], head: 0 });
    }
    this.startedAt = opts.ctx.now();
  }

  /** Requests waiting in the router queue (pull mode). */
  get queued(): number {
    return this.queue.length;
  }

  /** Rejects every request still in the router queue with `reason` (see Gateway.abandonQueued). */
  abandonQueued(reason: string): number {
    const reqs = this.queue.removeAll();
    for (const r of reqs) this.opts.reject(r, reason);
    return reqs.length;
  }

  /** Requests dispatched and not yet completed. */
  get inflight(): number {
    return this.flights.size;
  }

  /** Prompt tokens routed to `endpoint` for decode whose prefill has not finished. */
  pendingDecodeTokens(endpoint: EndpointView): number {
    return this.state.get(endpoint)?.pendingPromptTokens ?? 0;
  }

  /** A request arrives at the gateway. */
  submit(req: RequestView): void {
    if (this.opts.mode === 'push') {
      const pair = this.select(req, this.prefill, this.decode);
      if (pair) this.commit(req, pair);
      else this.opts.reject(req, `PD policy ${this.opts.policy.name} selected no (prefill, decode) pair`);
      return;
    }
    this.queue.push(req);
    this.drain();
  }

  /** The prompt of `req` finished on `prefill` (the KV transfer to the decode endpoint starts). */
  prefillDone(req: RequestView, prefill: EndpointView): void {
    const f = this.flight(req, 'prefillDone');
    if (prefill !== f.prefill) {
      throw new RoutingError(`prefillDone for request ${req.id} on ${prefill.id}, but its prefill was sent to ${f.prefill.id}`);
    }
    if (f.prefillDone) throw new RoutingError(`prefillDone called twice for request ${req.id}`);
    this.endPrefill(f, true);
    const { policy, ctx } = this.opts;
    if (policy.onPrefillDone) {
      try {
        policy.onPrefillDone(req, f.prefill, f.decode, ctx);
      } catch (err) {
        throw new PolicyRuntimeError(policy.name, req.id, 'onPrefillDone', err);
      }
    }
    if (this.opts.mode === 'pull') this.drain();
  }

  /** `req` completed on `decode`. */
  complete(req: RequestView, decode: EndpointView, info: CompletionInfo): void {
    const f = this.flight(req, 'complete');
    if (decode !== f.decode) {
      throw new RoutingError(`complete for request ${req.id} on ${decode.id}, but its decode was sent to ${f.decode.id}`);
    }
    if (!f.prefillDone) this.endPrefill(f, false);
    else (f.decode.counters as MutableCounters).decodeRunning--;
    this.release(f.prefill, req);
    if (f.decode !== f.prefill) this.release(f.decode, req);
    // A request refused at dispatch drained nothing from the decode side.
    if (!info.failed) (this.state.get(f.decode) as EndpointState).completions.push(this.opts.ctx.now());
    this.drainDirty = true;
    this.flights.delete(req.id);
    const { policy, ctx } = this.opts;
    if (policy.onComplete) {
      try {
        policy.onComplete(req, f.prefill, f.decode, info, ctx);
      } catch (err) {
        throw new PolicyRuntimeError(policy.name, req.id, 'onComplete', err);
      }
    }
    if (this.opts.mode === 'pull') this.drain();
  }

  /** Pull mode: an endpoint reports new capacity without a prefill done or a completion. */
  capacityChanged(): void {
    if (this.opts.mode === 'pull') this.drain();
  }

  private flight(req: RequestView, what: string): InFlight {
    const f = this.flights.get(req.id);
    if (!f) throw new RoutingError(`${what} for request ${req.id}, which the PD gateway has not dispatched (or already completed)`);
    return f;
  }

  /** Prefill trackers end; with `reached` the request now runs on the decode endpoint. */
  private endPrefill(f: InFlight, reached: boolean): void {
    f.prefillDone = true;
    const p = f.prefill.counters as MutableCounters;
    const d = f.decode.counters as MutableCounters;
    p.prefillInflight--;
    d.pendingDecode--;
    (this.state.get(f.decode) as EndpointState).pendingPromptTokens -= f.req.promptTokens;
    if (reached) {
      d.decodeRunning++;
      d.decodeStarted++;
    }
  }

  private release(e: EndpointView, req: RequestView): void {
    const c = e.counters as MutableCounters;
    c.inflight--;
    c.inflightPromptTokens -= req.promptTokens;
    c.completed++;
  }

  /** Refreshes counters.drainRate1m of the decode endpoints. */
  private refreshDrainRates(): void {
    const now = this.opts.ctx.now();
    if (now === this.drainStamp && !this.drainDirty) return;
    this.drainStamp = now;
    this.drainDirty = false;
    const elapsed = Math.min(this.windowS, now - this.startedAt);
    const from = now - elapsed;
    for (const e of this.decode) {
      const s = this.state.get(e) as EndpointState;
      const t = s.completions;
      while (s.head < t.length && t[s.head] <= now - this.windowS) s.head++;
      if (s.head > 256 && s.head * 2 > t.length) {
        t.splice(0, s.head);
        s.head = 0;
      }
      let n = 0;
      for (let i = t.length - 1; i >= s.head && t[i] > from; i--) n++;
      (e.counters as MutableCounters).drainRate1m = elapsed >= MIN_DRAIN_ELAPSED_S ? n / elapsed : Number.NaN;
    }
  }

  private select(req: RequestView, prefill: readonly EndpointView[], decode: readonly EndpointView[]): PdPair | undefined {
    const { policy, ctx } = this.opts;
    this.refreshDrainRates();
    let pair: PdPair | undefined;
    try {
      pair = policy.selectPair(req, prefill, decode, ctx);
    } catch (err) {
      throw new PolicyRuntimeError(policy.name, req.id, 'selectPair', err);
    }
    if (!pair) return undefined;
    const bad = !decode.includes(pair.decode)
      ? `decode endpoint ${pair.decode?.id} that is not a decode candidate`
      : pair.prefill !== pair.decode && !prefill.includes(pair.prefill)
        ? `prefill endpoint ${pair.prefill?.id} that is neither a prefill candidate nor the decode endpoint`
        : undefined;
    if (bad) throw new PolicyRuntimeError(policy.name, req.id, 'selectPair', new Error(`returned ${bad}`));
    return pair;
  }

  /** Dispatch: counters, the policy's onDispatch, then the host's dispatch. */
  private commit(req: RequestView, pair: PdPair): void {
    const { policy, ctx } = this.opts;
    if (this.flights.has(req.id)) throw new RoutingError(`request id ${req.id} is already in flight in the PD gateway`);
    const { prefill, decode } = pair;
    this.flights.set(req.id, { req, prefill, decode, prefillDone: false });
    const p = prefill.counters as MutableCounters;
    const d = decode.counters as MutableCounters;
    p.inflight++;
    p.inflightPromptTokens += req.promptTokens;
    p.dispatched++;
    p.prefillInflight++;
    if (decode !== prefill) {
      d.inflight++;
      d.inflightPromptTokens += req.promptTokens;
      d.dispatched++;
    }
    d.pendingDecode++;
    (this.state.get(decode) as EndpointState).pendingPromptTokens += req.promptTokens;
    if (policy.onDispatch) {
      try {
        policy.onDispatch(req, prefill, decode, ctx);
      } catch (err) {
        throw new PolicyRuntimeError(policy.name, req.id, 'onDispatch', err);
      }
    }
    this.opts.dispatch(req, prefill, decode, { bootstrapRoom: bootstrapRoomOf(req.id), disaggregated: prefill !== decode });
  }

  /** Pull mode: offers queued requests, in FIFO order, to the endpoints with capacity. */
  private drain(): void {
    this.drains.run(this.drainOnce);
  }

  private readonly drainOnce = (): void => {
    this.queue.offer(this.decidePull, this.takePull, this.opts.pullSkipBlocked ?? false);
  };

  /** A pair among the endpoints with capacity now, or undefined to leave `req` queued. */
  private readonly decidePull = (req: RequestView): PdPair | undefined => {
    const hasP = this.opts.hasPrefillCapacity ?? defaultPrefillCapacity;
    const hasD = this.opts.hasDecodeCapacity ?? this.defaultDecodeCapacity;
    const pc = this.pBuf;
    const dc = this.dBuf;
    pc.length = 0;
    dc.length = 0;
    for (const e of this.prefill) if (hasP(req, e)) pc.push(e);
    for (const e of this.decode) if (hasD(req, e, (this.state.get(e) as EndpointState).pendingPromptTokens)) dc.push(e);
    return dc.length > 0 ? this.select(req, pc, dc) : undefined;
  };

  private readonly takePull = (req: RequestView, pair: PdPair): void => this.commit(req, pair);

  private readonly defaultDecodeCapacity = (req: RequestView, e: EndpointView, pending: number): boolean =>
    defaultDecodeHeadroom(req, e, pending, this.allowance);
}
