import { pickMinRandomTie } from '../pick.js';
import type { ScoringPolicy } from '../policy.js';
import type { EndpointView } from '../types.js';

const inflight = (e: EndpointView) => e.counters.inflight;

/**
 * AIBrix `least-request`: the endpoint with the fewest gateway-tracked in-flight requests
 * (realtime_num_requests_running), uniformly at random among ties. The counter moves at dispatch
 * and completion, so it is never stale. With a fixed endpoint list the gateway keeps an index of
 * the counts and `selectIndexed` reads it (same choice, same draws). ScoreAll: the in-flight count, polarity least.
 */
export function createLeastRequest(): ScoringPolicy {
  return {
    name: 'least-request',
    polarity: 'least',
    bypassSingleEndpoint: true,
    select(_req, endpoints, ctx) {
      return pickMinRandomTie(endpoints, inflight, ctx);
    },
    selectIndexed(_req, fleet, ctx) {
      return fleet.inflight.pickMinRandomTie(ctx);
    },
    scoreAll(_req, endpoints, _ctx, scores, scored) {
      for (let i = 0; i < endpoints.length; i++) {
        scores[i] = endpoints[i].counters.inflight;
        scored[i] = 1;
      }
    },
  };
}
