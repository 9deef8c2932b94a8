import { PolicyRuntimeError, RoutingConfigError } from './errors.js';
import type { FleetIndex } from './fleet-index.js';
import { InflightIndex } from './inflight-index.js';
import { CONSUMPTION_SLO_FAILURE, PendingLoad, type PendingLoadOptions } from './pending-load.js';
import type { RoutingPolicy } from './policy.js';
import type { ProfileSet } from './profiles.js';
import { PullQueue } from './pull-queue.js';
import { RerunGuard } from './rerun-guard.js';
import type { CompletionInfo, EndpointView, RejectionKind, RequestView, RoutingContext } from './types.js';

export type RouterMode = 'push' | 'pull';

/**
 * Which capacity notion pull mode uses for policies without their own queue:
 * - 'instance': what the endpoint reports now (`capacity()`): a free batch slot and KV headroom
 *   for the prompt (or `hasCapacity` when given);
 * - 'pending-load': AIBrix's profile-based pending load, U + 1/(tput x E2E) <= 1 (needs profiles).
 */
export type PullCapacity = 'instance' | 'pending-load';

export interface GatewayOptions {
  policy: RoutingPolicy;
  mode: RouterMode;
  endpoints: readonly EndpointView[];
  ctx: RoutingContext;
  /**
   * Sends the request to the endpoint (the simulator enqueues it at the instance). In pull mode,
   * and for policies with their own queue, this is the moment the request leaves the router queue.
   */
  dispatch(req: RequestView, endpoint: EndpointView): void;
  /** The request cannot be routed (push: policy returned nothing; a policy queue rejected it; it timed out). */
  reject(req: RequestView, reason: string, kind?: RejectionKind): void;
  /** Pull mode, 'instance' capacity: whether the endpoint can take this request now. */
  hasCapacity?(req: RequestView, endpoint: EndpointView): boolean;
  /** Pull mode capacity notion for policies without their own queue. Default 'instance'. */
  pullCapacity?: PullCapacity;
  /**
   * Pull mode: when the head of the router queue fits nowhere, let later requests that fit go
   * first. Default false (strict FIFO, head-of-line blocking).
   */
  pullSkipBlocked?: boolean;
  /**
   * AIBrix profiles. With them the gateway keeps AIBrix's pending-load accounting for any policy
   * (as AIBrix's gateway does) unless the policy brings its own (`policy.pendingLoad`).
   */
  profiles?: ProfileSet;
  /** Model whose profiles apply (optional when the profiles cover one model). */
  model?: string;
  /** Output predictor settings for the gateway's own pending-load accounting. */
  pendingLoadOptions?: PendingLoadOptions;
  /**
   * Gateway timeout, seconds (AIBrix: the Envoy ext_proc messageTimeout, 60 s,
   * vllm-project/aibrix@e3e10f9e:config/gateway/gateway-plugin/gateway-plugin.yaml). A request
   * still waiting in a router queue this long after it arrived is rejected ('timed-out'). Needs
   * `timer`. Default: none (requests wait as long as it takes).
   */
  timeoutS?: number;
  /** Calls `fn(req)` at time `at` (the host's clock); required with `timeoutS`. */
  timer?(at: number, fn: (req: RequestView) => void, req: RequestView): void;
  /**
   * The host promises that `endpoints` never changes, that only this gateway moves their
   * counters, and that it calls `metricsRefreshed()` after every change of their metrics, so the
   * gateway may keep them indexed for policies with `selectIndexed`.
   */
  fixedEndpoints?: boolean;
}

/**
 * The gateway: keeps the counters the router owns, calls the policy, and holds the router-side
 * queue in pull mode (or the policy's own queue, e.g. AIBrix's SLO queue, in both modes).
 *
 * Counters move at dispatch (inflight, inflightPromptTokens, dispatched, pendingLoad) and at
 * completion. A policy that throws is reported as PolicyRuntimeError (policy name, request id).
 */
export class Gateway {
  /** AIBrix pending-load accounting in use (the policy's, or the gateway's own), if any. */
  readonly pendingLoad: PendingLoad | undefined;
  private readonly queue = new PullQueue();
  private readonly eligible: EndpointView[] = [];
  /** One guard for both drains (the gateway's queue and a policy's), so passes never nest. */
  private readonly drains = new RerunGuard();
  private readonly hasCapacity: (req: RequestView, endpoint: EndpointView) => boolean;
  /** With a timeout: requests waiting in a router queue whose client still waits for them. */
  private readonly waiting = new Set<number>();
  /**
   * Requests whose client timed out but that are still in a policy queue. AIBrix's SLO queue keeps
   * them (vllm-project/aibrix@e3e10f9e: pkg/types/router_context.go `TargetPod` gives up on the
   * context's deadline; pkg/plugins/gateway/algorithms/queue_router.go and queue/slo_queue.go never
   * remove the request; pkg/cache/cache_impl.go `AddRequestCount` skips unrouted contexts): they keep
   * their place as sub-queue heads and leave only when the queue next decides on them, without
   * taking any capacity.
   */
  private readonly expired = new Set<number>();
  /** For a policy with `selectIndexed` over a fixed endpoint list: what the gateway keeps indexed. */
  private readonly fleet: { endpoints: readonly EndpointView[]; inflight: InflightIndex; metricsEpoch: number } | undefined;

  constructor(private readonly opts: GatewayOptions) {
    const { policy } = opts;
    for (const e of opts.endpoints) {
      const c = e.counters as MutableCounters;
      if (c.pendingLoad === undefined) c.pendingLoad = 0;
    }
    if (policy.pendingLoad) this.pendingLoad = policy.pendingLoad;
    else if (opts.profiles) {
      const profiles = opts.profiles.resolveModel(opts.model, 'gateway');
      this.pendingLoad = profiles.size > 0 ? new PendingLoad(profiles, opts.pendingLoadOptions) : undefined;
    }
    if (opts.mode === 'pull' && opts.pullCapacity === 'pending-load' && !policy.queue && !this.pendingLoad) {
      throw new RoutingConfigError(
        'pull mode with pullCapacity "pending-load" needs AIBrix profiles (gateway option "profiles")',
        undefined,
        'pullCapacity',
      );
    }
    this.hasCapacity = opts.hasCapacity ?? defaultHasCapacity;
    if (opts.fixedEndpoints && policy.selectIndexed && opts.mode === 'push' && !policy.queue && InflightIndex.applies(opts.endpoints)) {
      this.fleet = { endpoints: opts.endpoints, inflight: new InflightIndex(opts.endpoints), metricsEpoch: 0 };
    }
    if (opts.timeoutS !== undefined) {
      if (!(opts.timeoutS > 0)) throw new RoutingConfigError(`gateway timeout must be > 0 s, got ${opts.timeoutS}`, undefined, 'timeoutS');
      if (!opts.timer) throw new RoutingConfigError('a gateway timeout needs a timer from the host', undefined, 'timeoutS');
    }
  }

  /** Requests waiting in the router queue (the gateway's or the policy's). */
  get queued(): number {
    return this.opts.policy.queue ? this.opts.policy.queue.length : this.queue.length;
  }

  /**
   * Rejects every request still waiting in the router queue with `reason`, as clients whose
   * deadline passed would give up. Returns how many there were. A host calls this when it knows
   * nothing will ever free capacity for them (e.g. its run ended with the endpoints idle).
   */
  abandonQueued(reason: string, kind: RejectionKind = 'never-dispatchable'): number {
    const { policy } = this.opts;
    const reqs = policy.queue ? policy.queue.removeAll() : this.queue.removeAll();
    let n = 0;
    for (const r of reqs) {
      if (this.expired.delete(r.id)) {
        this.pendingLoad?.forget(r); // its client already had its answer
        continue;
      }
      this.rejectReq(r, reason, kind);
      n++;
    }
    return n;
  }

  /** A request arrives at the gateway. */
  submit(req: RequestView): void {
    const { policy, endpoints, mode } = this.opts;
    if (policy.bypassSingleEndpoint && endpoints.length === 1 && (mode === 'push' || policy.queue)) {
      // AIBrix: exactly one ready pod, no router runs and no queue is used.
      this.commit(req, endpoints[0], false);
      return;
    }
    const timeout = this.opts.timeoutS;
    if (policy.queue) {
      try {
        policy.queue.enqueue(req, this.opts.ctx);
      } catch (err) {
        throw new PolicyRuntimeError(policy.name, req.id, 'queue.enqueue', err);
      }
      if (timeout !== undefined) this.waiting.add(req.id);
      this.drainPolicyQueue(req.id);
    } else if (mode === 'push') {
      const e = this.fleet ? this.selectIndexed(req, this.fleet) : this.select(req, endpoints);
      if (e) this.commit(req, e, true);
      else this.rejectReq(req, `policy ${policy.name} selected no endpoint`, 'other');
      return;
    } else {
      this.queue.push(req);
      if (timeout !== undefined) this.waiting.add(req.id);
      this.drain();
    }
    if (timeout !== undefined && this.waiting.has(req.id)) this.opts.timer!(this.opts.ctx.now() + timeout, this.expireFn, req);
  }

  private readonly expireFn = (req: RequestView): void => this.expire(req);

  /**
   * The gateway timeout of `req` passed. If it still waits, its client gets an error now. In a
   * policy queue (AIBrix's SLO queue) it stays where it is (see `expired`); in the gateway's own
   * pull queue it leaves at the next pass, which runs now.
   */
  private expire(req: RequestView): void {
    if (!this.waiting.delete(req.id)) return;
    this.expired.add(req.id);
    this.opts.reject(req, `timed out after ${this.opts.timeoutS} s waiting at the gateway`, 'timed-out');
    if (!this.opts.policy.queue) this.drain();
  }

  /** `req` produced its first token on `endpoint` (optional; some policies track prefill work). */
  firstToken(req: RequestView, endpoint: EndpointView): void {
    const { policy, ctx } = this.opts;
    if (!policy.onFirstToken) return;
    try {
      policy.onFirstToken(req, endpoint, ctx);
    } catch (err) {
      throw new PolicyRuntimeError(policy.name, req.id, 'onFirstToken', err);
    }
  }

  /** `req` completed on `endpoint`. */
  complete(req: RequestView, endpoint: EndpointView, info: CompletionInfo): void {
    const { policy, ctx } = this.opts;
    const c = endpoint.counters as MutableCounters;
    c.inflight--;
    c.inflightPromptTokens -= req.promptTokens;
    if (!info.failed) c.completed++;
    this.fleet?.inflight.moved(endpoint);
    let released = 0;
    if (this.pendingLoad) {
      released = this.pendingLoad.release(req, endpoint);
      // A refused request produced no output: the output predictor must not learn 0 tokens from it.
      if (!info.failed) this.pendingLoad.observe(req.promptTokens, info.outputTokens, ctx.now());
    }
    if (policy.onComplete) {
      try {
        policy.onComplete(req, endpoint, info, ctx);
      } catch (err) {
        throw new PolicyRuntimeError(policy.name, req.id, 'onComplete', err);
      }
    }
    if (policy.queue) {
      const wake = policy.queue.wakeOnCompletion ? policy.queue.wakeOnCompletion(endpoint, released) : true;
      if (wake) this.drainPolicyQueue(req.id);
    } else if (this.opts.mode === 'pull') this.drain();
  }

  /** The host refreshed the endpoints' metric snapshots (see `fixedEndpoints`). */
  metricsRefreshed(): void {
    if (this.fleet) this.fleet.metricsEpoch++;
  }

  /** Pull mode: an endpoint reports new capacity without a completion (e.g. a prefill finished). */
  capacityChanged(): void {
    // A policy queue decides its own wake-ups (AIBrix: arrivals and completions only).
    if (this.opts.mode === 'pull' && !this.opts.policy.queue) this.drain();
  }

  /** Offers queued requests, in FIFO order, to the endpoints that have capacity. */
  private drain(): void {
    this.drains.run(this.drainOnce);
  }

  private readonly drainOnce = (): void => {
    this.queue.offer(this.decidePull, this.takePull, this.opts.pullSkipBlocked ?? false);
  };

  /** An endpoint among those with capacity now, SLO_REJECT or GONE, or undefined to leave `req` queued. */
  private readonly decidePull = (req: RequestView): EndpointView | typeof SLO_REJECT | typeof GONE | undefined => {
    if (this.expired.size > 0 && this.expired.has(req.id)) return GONE;
    const { endpoints } = this.opts;
    const usePending = this.opts.pullCapacity === 'pending-load';
    const eligible = this.eligible;
    eligible.length = 0;
    let sloFailures = 0;
    for (let i = 0; i < endpoints.length; i++) {
      const e = endpoints[i];
      if (usePending) {
        const load = this.pendingLoad as PendingLoad;
        const c = load.consumption(req, e, this.opts.ctx);
        if (c === CONSUMPTION_SLO_FAILURE) sloFailures++;
        else if (c >= 0 && load.utilization(e) + c <= load.cap) eligible.push(e);
      } else if (this.hasCapacity(req, e)) eligible.push(e);
    }
    const routed = eligible.length > 0 ? this.select(req, eligible) : undefined;
    if (routed) return routed;
    // Every endpoint's profile says it can never meet the SLO: waiting will not help.
    return usePending && sloFailures === endpoints.length && endpoints.length > 0 ? SLO_REJECT : undefined;
  };

  private readonly takePull = (req: RequestView, d: EndpointView | typeof SLO_REJECT | typeof GONE): void => {
    if (d === GONE) this.dropExpired(req);
    else if (d === SLO_REJECT) this.rejectReq(req, 'no endpoint can serve this request within its SLO (profile throughput 0)', 'slo-infeasible');
    else this.commit(req, d, true);
  };

  /** A timed-out request leaves its queue: nothing is dispatched or counted, its client has its answer. */
  private dropExpired(req: RequestView): void {
    this.expired.delete(req.id);
    this.pendingLoad?.forget(req);
  }

  /** Drains a policy-owned queue until it has nothing to dispatch now. */
  private drainPolicyQueue(triggerId: number): void {
    const { policy, ctx, endpoints } = this.opts;
    const queue = policy.queue!;
    this.drains.run(() => {
      for (;;) {
        let d;
        try {
          d = queue.next(endpoints, ctx);
        } catch (err) {
          throw new PolicyRuntimeError(policy.name, triggerId, 'queue.next', err);
        }
        if (!d) break;
        if (this.expired.size > 0 && this.expired.has(d.req.id)) this.dropExpired(d.req);
        else if (d.kind === 'dispatch') this.commit(d.req, d.endpoint, true);
        else this.rejectReq(d.req, d.reason, d.rejection ?? 'other');
      }
    });
  }

  private select(req: RequestView, candidates: readonly EndpointView[]): EndpointView | undefined {
    const { policy, ctx } = this.opts;
    try {
      return policy.select(req, candidates, ctx);
    } catch (err) {
      throw new PolicyRuntimeError(policy.name, req.id, 'select', err);
    }
  }

  private selectIndexed(req: RequestView, fleet: FleetIndex): EndpointView | undefined {
    const { policy, ctx } = this.opts;
    try {
      return policy.selectIndexed!(req, fleet, ctx);
    } catch (err) {
      throw new PolicyRuntimeError(policy.name, req.id, 'select', err);
    }
  }

  /** Dispatch: counters, pending load, the policy's onDispatch, then the host's dispatch. */
  private commit(req: RequestView, endpoint: EndpointView, notifyPolicy: boolean): void {
    const { policy, ctx } = this.opts;
    if (this.waiting.size > 0) this.waiting.delete(req.id);
    const c = endpoint.counters as MutableCounters;
    c.inflight++;
    c.inflightPromptTokens += req.promptTokens;
    c.dispatched++;
    this.fleet?.inflight.moved(endpoint);
    this.pendingLoad?.add(req, endpoint, ctx);
    if (notifyPolicy && policy.onDispatch) {
      try {
        policy.onDispatch(req, endpoint, ctx);
      } catch (err) {
        throw new PolicyRuntimeError(policy.name, req.id, 'onDispatch', err);
      }
    }
    this.opts.dispatch(req, endpoint);
  }

  private rejectReq(req: RequestView, reason: string, kind: RejectionKind): void {
    if (this.waiting.size > 0) this.waiting.delete(req.id);
    this.pendingLoad?.forget(req);
    this.opts.reject(req, reason, kind);
  }
}

/** Pull decision: reject the request, as no endpoint can ever serve it within its SLO. */
const SLO_REJECT = Symbol('slo-reject');
/** Pull decision: the request timed out; it leaves the queue without dispatch. */
const GONE = Symbol('gone');

type MutableCounters = { -readonly [K in keyof EndpointView['counters']]: EndpointView['counters'][K] };

/** Instance-reported capacity: a free batch slot and KV headroom for the whole prompt. */
export function defaultHasCapacity(req: RequestView, endpoint: EndpointView): boolean {
  const cap = endpoint.capacity();
  return cap.freeSlots > 0 && cap.freeKvTokens >= req.promptTokens;
}
