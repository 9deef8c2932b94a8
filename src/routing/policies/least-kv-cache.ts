import { createLeastScorePolicy } from '../least-score-policy.js';
import { known } from '../pick.js';
import type { ScoringPolicy } from '../policy.js';

/**
 * AIBrix `least-kv-cache`: argmin of kv_cache_usage_perc + cpu_cache_usage_perc (scraped, stale).
 * AIBrix keeps the last minimum (`<=`) of a shuffled pod list: uniform among ties. Random when no
 * endpoint reports the metric.
 */
export function createLeastKvCache(): ScoringPolicy {
  return createLeastScorePolicy('least-kv-cache', scoreKvUsage, 'KV usage');
}

/**
 * Scraped KV usage (`metrics.kvUsage`); unscored where not reported. AIBrix adds
 * cpu_cache_usage_perc, but our endpoints have no CPU KV tier (0).
 */
export const scoreKvUsage: ScoringPolicy['scoreAll'] = (_req, endpoints, _ctx, scores, scored) => {
  for (let i = 0; i < endpoints.length; i++) {
    const v = endpoints[i].metrics.kvUsage;
    scored[i] = known(v) ? 1 : 0;
    scores[i] = v;
  }
};
