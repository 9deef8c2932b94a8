import { known, pickMinRandomTie, pickRandom, WarnOnce } from '../pick.js';
import type { ScoringPolicy } from '../policy.js';
import type { EndpointView } from '../types.js';

// AIBrix sums kv_cache_usage_perc and cpu_cache_usage_perc; our endpoints have no CPU KV tier (0).
const kv = (e: EndpointView) => (known(e.metrics.kvUsage) ? e.metrics.kvUsage : Number.NaN);

/**
 * AIBrix `least-kv-cache`: argmin of kv_cache_usage_perc + cpu_cache_usage_perc (scraped, stale).
 * AIBrix keeps the last minimum (`<=`) of a shuffled pod list: uniform among ties. Random when no
 * endpoint reports the metric.
 */
export function createLeastKvCache(): ScoringPolicy {
  const warned = new WarnOnce();
  return {
    name: 'least-kv-cache',
    polarity: 'least',
    bypassSingleEndpoint: true,
    select(_req, endpoints, ctx) {
      const e = pickMinRandomTie(endpoints, kv, ctx);
      if (e) return e;
      if (endpoints.length > 0) warned.warn(ctx, 'none', 'least-kv-cache: no endpoint reports KV usage; picking at random, as AIBrix does');
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
