import { pickMinRandomTie } from '../pick.js';
import type { RoutingPolicy } from '../policy.js';
import type { EndpointView } from '../types.js';

const inflight = (e: EndpointView) => e.counters.inflight;

/**
 * AIBrix `least-request`: the endpoint with the fewest gateway-tracked in-flight requests,
 * uniformly at random among ties. The counter moves at dispatch, so it is never stale.
 */
export function createLeastRequest(): RoutingPolicy {
  return {
    name: 'least-request',
    select(_req, endpoints, ctx) {
      return pickMinRandomTie(endpoints, inflight, ctx);
    },
  };
}
