import { createLeastScorePolicy } from '../least-score-policy.js';
import { boolOption } from '../options.js';
import { known } from '../pick.js';
import type { PolicyOptions, ScoringPolicy } from '../policy.js';

/**
 * AIBrix `least-kv-cache` (vllm-project/aibrix@e3e10f9e:pkg/plugins/gateway/algorithms/least_kv_cache.go):
 * argmin of kv_cache_usage_perc + cpu_cache_usage_perc (scraped, stale). A pod lacking either
 * metric is skipped; AIBrix keeps the last minimum (`<=`) of a shuffled pod list: uniform among
 * ties. Random when no endpoint has both metrics.
 *
 * AIBrix reads cpu_cache_usage_perc as vLLM's `vllm:cpu_cache_usage_perc` (pkg/metrics/metrics.go;
 * no SGLang mapping). vLLM deprecated it in 0.8 (the V1 engine has no CPU KV swap space) and
 * hides it from 0.9, so against current vLLM every pod lacks it and AIBrix's least-kv-cache
 * routes at random. Option `cpuCacheMetric` says whether the engines export it: true (default,
 * as vLLM before 0.9 and AIBrix's own tests) scores our KV usage plus a CPU usage of 0 (our
 * endpoints have no CPU KV tier); false reproduces AIBrix against vLLM >= 0.9 (random, warned).
 */
export function createLeastKvCache(options: PolicyOptions = {}): ScoringPolicy {
  const cpuCacheMetric = boolOption(options, 'cpuCacheMetric', true, 'least-kv-cache');
  return createLeastScorePolicy(
    'least-kv-cache',
    cpuCacheMetric ? scoreKvUsage : noneScored,
    cpuCacheMetric ? 'KV usage' : 'cpu_cache_usage_perc (vLLM >= 0.9 does not export it; option cpuCacheMetric)',
  );
}

const noneScored: ScoringPolicy['scoreAll'] = (_req, endpoints, _ctx, scores, scored) => {
  for (let i = 0; i < endpoints.length; i++) {
    scored[i] = 0;
    scores[i] = 0;
  }
};

/** Scraped KV usage (`metrics.kvUsage`); unscored where not reported. */
export const scoreKvUsage: ScoringPolicy['scoreAll'] = (_req, endpoints, _ctx, scores, scored) => {
  for (let i = 0; i < endpoints.length; i++) {
    const v = endpoints[i].metrics.kvUsage;
    scored[i] = known(v) ? 1 : 0;
    scores[i] = v;
  }
};
