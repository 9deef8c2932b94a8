import { createLeastScorePolicy } from '../least-score-policy.js';
import type { ScoringPolicy } from '../policy.js';
import { scoreKvUsage } from './least-kv-cache.js';

/**
 * AIBrix `least-gpu-cache`: argmin of the scraped `gpu_cache_usage_perc` (our `metrics.kvUsage`,
 * stale between refreshes), uniformly at random among ties; random when no endpoint reports it.
 * Same scores as `least-kv-cache`, since our endpoints have no CPU KV tier.
 */
export function createLeastGpuCache(): ScoringPolicy {
  return createLeastScorePolicy('least-gpu-cache', scoreKvUsage, 'KV usage');
}
