import type { RoutingPolicy } from '../policy.js';

/**
 * SGLang router `round_robin` (`src/policies/round_robin.rs`): one counter per policy instance,
 * advanced on every selection and never reset; the pick is `candidates[count % len]` over the
 * current candidate list, so when the list changes (an endpoint leaves, or pull mode offers only
 * the endpoints with capacity) the sequence shifts rather than resuming per endpoint.
 */
export function createRoundRobin(): RoutingPolicy {
  let count = 0;
  return {
    name: 'round_robin',
    select(_req, endpoints) {
      if (endpoints.length === 0) return undefined;
      return endpoints[count++ % endpoints.length];
    },
  };
}
