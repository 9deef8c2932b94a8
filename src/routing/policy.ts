import type { CompletionInfo, EndpointView, RequestView, RoutingContext } from './types.js';

/**
 * A routing policy: picks an endpoint for a request. One file per policy, registered by name.
 *
 * `select` must not mutate the endpoint views. It returns undefined when no endpoint is
 * acceptable right now (in pull mode the request then stays queued; in push mode it is rejected).
 */
export interface RoutingPolicy {
  readonly name: string;
  select(req: RequestView, endpoints: readonly EndpointView[], ctx: RoutingContext): EndpointView | undefined;
  /** Called after the gateway has dispatched `req` to `endpoint` (e.g. to index its prefix). */
  onDispatch?(req: RequestView, endpoint: EndpointView, ctx: RoutingContext): void;
  /** Called when `req` completes on `endpoint`. */
  onComplete?(req: RequestView, endpoint: EndpointView, info: CompletionInfo, ctx: RoutingContext): void;
}

/** Options given to a policy factory: the policy's own settings from the experiment file. */
export type PolicyOptions = Readonly<Record<string, unknown>>;

export type PolicyFactory = (options: PolicyOptions) => RoutingPolicy;
