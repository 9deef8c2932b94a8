import type { RoutingPolicy } from '../policy.js';

/** AIBrix `random` / SGLang `random`: uniform over the endpoints. */
export function createRandom(): RoutingPolicy {
  return {
    name: 'random',
    select(_req, endpoints, ctx) {
      if (endpoints.length === 0) return undefined;
      return endpoints[Math.floor(ctx.random() * endpoints.length)];
    },
  };
}
