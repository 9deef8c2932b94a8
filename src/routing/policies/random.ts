import { pickRandom } from '../pick.js';
import type { RoutingPolicy } from '../policy.js';

/**
 * AIBrix `random` (`utils.SelectRandomPod`) and SGLang `random`: uniform over the endpoints.
 */
export function createRandom(): RoutingPolicy {
  return {
    name: 'random',
    bypassSingleEndpoint: true,
    select(_req, endpoints, ctx) {
      return pickRandom(endpoints, ctx);
    },
  };
}
