import type { FleetIndex } from './fleet-index.js';
import type { PendingLoad } from './pending-load.js';
import type { CompletionInfo, EndpointView, RejectionKind, RequestView, RoutingContext } from './types.js';

/**
 * A routing policy: picks an endpoint for a request. One file per policy, registered by name.
 *
 * `select` must not mutate the endpoint views. It returns undefined when no endpoint is
 * acceptable right now (in pull mode the request then stays queued; in push mode it is rejected).
 * Side effects that belong to the routing decision (indexing a prefix, counting a user's tokens)
 * go in `onDispatch`, which the gateway calls once the request is actually sent.
 */
export interface RoutingPolicy {
  readonly name: string;
  select(req: RequestView, endpoints: readonly EndpointView[], ctx: RoutingContext): EndpointView | undefined;
  /** Called after the gateway has dispatched `req` to `endpoint` (e.g. to index its prefix). */
  onDispatch?(req: RequestView, endpoint: EndpointView, ctx: RoutingContext): void;
  /** Called when the first output token of `req` is produced (prefill done). Optional signal. */
  onFirstToken?(req: RequestView, endpoint: EndpointView, ctx: RoutingContext): void;
  /** Called when `req` completes on `endpoint`. */
  onComplete?(req: RequestView, endpoint: EndpointView, info: CompletionInfo, ctx: RoutingContext): void;
  /**
   * A router-side queue the policy brings (AIBrix's SLOQueue). When present the gateway routes
   * every request through it, in both modes: `submit` enqueues, then the gateway drains it with
   * `next` on every arrival and on every completion the queue asks to be woken for.
   */
  readonly queue?: RouterQueue;
  /**
   * AIBrix pending-load accounting the policy reads (the SLO family). The gateway maintains it at
   * dispatch and completion; when absent the gateway builds its own from `GatewayOptions.profiles`.
   */
  readonly pendingLoad?: PendingLoad;
  /**
   * AIBrix's gateway skips routing entirely when exactly one endpoint is ready (no policy, no
   * queue). Policies that name an AIBrix router set this; push mode and policy queues honour it.
   */
  readonly bypassSingleEndpoint?: boolean;
  /**
   * The same choice as `select` over the whole endpoint list, read from what the gateway keeps
   * indexed instead of a scan (same result, same random draws). A gateway whose endpoint list is
   * fixed calls it in place of `select` in push mode.
   */
  selectIndexed?(req: RequestView, fleet: FleetIndex, ctx: RoutingContext): EndpointView | undefined;
}

export type Polarity = 'least' | 'most';

/**
 * A policy that can score every endpoint (AIBrix's `PodScorer`), so it can take part in a
 * multi-strategy string like `prefix-cache:2,least-request`.
 */
export interface ScoringPolicy extends RoutingPolicy {
  /** `least`: smaller raw scores are better; `most`: larger are better. */
  readonly polarity: Polarity;
  /**
   * Writes one raw score per endpoint into `scores[i]` and whether it is valid into `scored[i]`
   * (an unscored endpoint normalizes to 0). The buffers are at least `endpoints.length` long and
   * owned by the caller; this must not allocate per call where it can avoid it.
   */
  scoreAll(
    req: RequestView,
    endpoints: readonly EndpointView[],
    ctx: RoutingContext,
    scores: Float64Array,
    scored: Uint8Array,
  ): void;
  /** AIBrix `PostRouteUpdate`: run by a multi-strategy router after it picked `endpoint`. */
  postRouteUpdate?(req: RequestView, endpoint: EndpointView, ctx: RoutingContext): void;
}

export function isScoringPolicy(p: RoutingPolicy): p is ScoringPolicy {
  return typeof (p as ScoringPolicy).scoreAll === 'function';
}

/** One decision of a router-side queue. The object may be reused by the queue on the next call. */
export type QueueDecision =
  | { kind: 'dispatch'; req: RequestView; endpoint: EndpointView }
  | { kind: 'reject'; req: RequestView; reason: string; rejection?: RejectionKind };

/** A router-side queue owned by a policy (pull semantics). */
export interface RouterQueue {
  /** Requests waiting. */
  readonly length: number;
  enqueue(req: RequestView, ctx: RoutingContext): void;
  /**
   * The next request that can leave the queue now, with its endpoint, or a rejection; undefined
   * when nothing can be dispatched now. The gateway calls it until it returns undefined and acts
   * on each decision (dispatch or reject) before calling again.
   */
  next(endpoints: readonly EndpointView[], ctx: RoutingContext): QueueDecision | undefined;
  /**
   * Whether a completion on `endpoint` should re-run `next`. `released` is the pending load the
   * completion gave back. Default: always.
   */
  wakeOnCompletion?(endpoint: EndpointView, released: number): boolean;
  /** Empties the queue, returning the requests in arrival order (the host gives up on them). */
  removeAll(): RequestView[];
}

/** Options given to a policy factory: the policy's own settings from the experiment file. */
export type PolicyOptions = Readonly<Record<string, unknown>>;

export type PolicyFactory = (options: PolicyOptions) => RoutingPolicy;
