import { known, pickMinRandomTie, pickRandom, WarnOnce } from '../pick.js';
import type { ScoringPolicy } from '../policy.js';
import type { EndpointView } from '../types.js';

const kv = (e: EndpointView) => (known(e.metrics.kvUsage) ? e.metrics.kvUsage : Number.NaN);

/**
 * AIBrix `least-gpu-cache`: argmin of the scraped `gpu_cache_usage_perc` (our `metrics.kvUsage`,
 * stale between refreshes), uniformly at random among ties; random when no endpoint reports it.
 */
export function createLeastGpuCache(): ScoringPolicy {
  const warned = new WarnOnce();
  return {
    name: 'least-gpu-cache',
    polarity: 'least',
    bypassSingleEndpoint: true,
    select(_req, endpoints, ctx) {
      const e = pickMinRandomTie(endpoints, kv, ctx);
      if (e) return e;
      if (endpoints.length > 0) warned.warn(ctx, 'none', 'least-gpu-cache: no endpoint reports KV usage; picking at random, as AIBrix does');
      return pickRandom(endpoints, ctx);
    },
    scoreAll(_req, endpoints, _ctx, scores, scored) {
      for (let i = 0; i < endpoints.length; i++) {
        const v = endpoints[i].metrics.kvUsage;
        scored[i] = known(v) ? 1 : 0;
        scores[i] = v;
      }
    },
  };
}
