import type { RoutingPolicy } from '../policy.js';

/** SGLang `round_robin`: a counter advanced on every selection, modulo the endpoint count. */
export function createRoundRobin(): RoutingPolicy {
  let next = 0;
  return {
    name: 'round-robin',
    select(_req, endpoints) {
      if (endpoints.length === 0) return undefined;
      const e = endpoints[next % endpoints.length];
      next = (next + 1) % endpoints.length;
      return e;
    },
  };
}
