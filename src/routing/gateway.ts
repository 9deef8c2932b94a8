import { PolicyRuntimeError, RoutingConfigError } from './errors.js';
import { CONSUMPTION_SLO_FAILURE, PendingLoad, type PendingLoadOptions } from './pending-load.js';
import type { RoutingPolicy } from './policy.js';
import type { ProfileSet } from './profiles.js';
import type { CompletionInfo, EndpointView, RequestView, RoutingContext } from './types.js';

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
  /** The request cannot be routed (push: policy returned nothing; a policy queue rejected it). */
  reject(req: RequestView, reason: string): void;
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
  private readonly queue: (RequestView | undefined)[] = [];
  private queueHead = 0;
  private queueCount = 0;
  private readonly eligible: EndpointView[] = [];
  private draining = false;
  private drainAgain = false;
  private readonly hasCapacity: (req: RequestView, endpoint: EndpointView) => boolean;

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
  }

  /** Requests waiting in the router queue (the gateway's or the policy's). */
  get queued(): number {
    return this.opts.policy.queue ? this.opts.policy.queue.length : this.queueCount;
  }

  /**
   * Rejects every request still waiting in the router queue with `reason`, as clients whose
   * deadline passed would give up. Returns how many there were. A host calls this when it knows
   * nothing will ever free capacity for them (e.g. its run ended with the endpoints idle).
   */
  abandonQueued(reason: string): number {
    const { policy } = this.opts;
    let reqs: RequestView[];
    if (policy.queue) reqs = policy.queue.removeAll();
    else {
      reqs = [];
      for (let i = this.queueHead; i < this.queue.length; i++) if (this.queue[i]) reqs.push(this.queue[i]!);
      this.queue.length = 0;
      this.queueHead = 0;
      this.queueCount = 0;
    }
    for (const r of reqs) this.rejectReq(r, reason);
    return reqs.length;
  }

  /** A request arrives at the gateway. */
  submit(req: RequestView): void {
    const { policy, endpoints, mode } = this.opts;
    if (policy.bypassSingleEndpoint && endpoints.length === 1 && (mode === 'push' || policy.queue)) {
      // AIBrix: exactly one ready pod, no router runs and no queue is used.
      this.commit(req, endpoints[0], false);
      return;
    }
    if (policy.queue) {
      try {
        policy.queue.enqueue(req, this.opts.ctx);
      } catch (err) {
        throw new PolicyRuntimeError(policy.name, req.id, 'queue.enqueue', err);
      }
      this.drainPolicyQueue(req.id);
    } else if (mode === 'push') {
      const e = this.select(req, endpoints);
      if (e) this.commit(req, e, true);
      else this.rejectReq(req, `policy ${policy.name} selected no endpoint`);
    } else {
      this.queue.push(req);
      this.queueCount++;
      this.drain();
    }
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
    c.completed++;
    let released = 0;
    if (this.pendingLoad) {
      released = this.pendingLoad.release(req, endpoint);
      this.pendingLoad.observe(req.promptTokens, info.outputTokens, ctx.now());
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

  /** Pull mode: an endpoint reports new capacity without a completion (e.g. a prefill finished). */
  capacityChanged(): void {
    // A policy queue decides its own wake-ups (AIBrix: arrivals and completions only).
    if (this.opts.mode === 'pull' && !this.opts.policy.queue) this.drain();
  }

  /** Offers queued requests, in FIFO order, to the endpoints that have capacity. */
  private drain(): void {
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = true;
    try {
      do {
        this.drainAgain = false;
        this.drainOnce();
      } while (this.drainAgain);
    } finally {
      this.draining = false;
    }
  }

  private drainOnce(): void {
    const { endpoints, pullSkipBlocked } = this.opts;
    const usePending = this.opts.pullCapacity === 'pending-load';
    const q = this.queue;
    for (let k = this.queueHead; k < q.length; k++) {
      const req = q[k];
      if (req === undefined) {
        if (k === this.queueHead) this.queueHead++;
        continue;
      }
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
      let routed: EndpointView | undefined;
      if (eligible.length > 0) routed = this.select(req, eligible);
      if (routed || (usePending && sloFailures === endpoints.length && endpoints.length > 0)) {
        q[k] = undefined;
        this.queueCount--;
        if (k === this.queueHead) this.queueHead++;
        if (routed) this.commit(req, routed, true);
        else this.rejectReq(req, 'no endpoint can serve this request within its SLO (profile throughput 0)');
        continue;
      }
      if (!pullSkipBlocked) break;
    }
    if (this.queueHead === q.length) {
      q.length = 0;
      this.queueHead = 0;
    } else if (this.queueHead > 1024 && this.queueHead * 2 > q.length) {
      q.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }

  /** Drains a policy-owned queue until it has nothing to dispatch now. */
  private drainPolicyQueue(triggerId: number): void {
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    const { policy, ctx, endpoints } = this.opts;
    const queue = policy.queue!;
    this.draining = true;
    try {
      do {
        this.drainAgain = false;
        for (;;) {
          let d;
          try {
            d = queue.next(endpoints, ctx);
          } catch (err) {
            throw new PolicyRuntimeError(policy.name, triggerId, 'queue.next', err);
          }
          if (!d) break;
          if (d.kind === 'dispatch') this.commit(d.req, d.endpoint, true);
          else this.rejectReq(d.req, d.reason);
        }
      } while (this.drainAgain);
    } finally {
      this.draining = false;
    }
  }

  private select(req: RequestView, candidates: readonly EndpointView[]): EndpointView | undefined {
    const { policy, ctx } = this.opts;
    try {
      return policy.select(req, candidates, ctx);
    } catch (err) {
      throw new PolicyRuntimeError(policy.name, req.id, 'select', err);
    }
  }

  /** Dispatch: counters, pending load, the policy's onDispatch, then the host's dispatch. */
  private commit(req: RequestView, endpoint: EndpointView, notifyPolicy: boolean): void {
    const { policy, ctx } = this.opts;
    const c = endpoint.counters as MutableCounters;
    c.inflight++;
    c.inflightPromptTokens += req.promptTokens;
    c.dispatched++;
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

  private rejectReq(req: RequestView, reason: string): void {
    this.pendingLoad?.forget(req);
    this.opts.reject(req, reason);
  }
}

type MutableCounters = { -readonly [K in keyof EndpointView['counters']]: EndpointView['counters'][K] };

/** Instance-reported capacity: a free batch slot and KV headroom for the whole prompt. */
export function defaultHasCapacity(req: RequestView, endpoint: EndpointView): boolean {
  const cap = endpoint.capacity();
  return cap.freeSlots > 0 && cap.freeKvTokens >= req.promptTokens;
}
