import { createLeastScorePolicy } from '../least-score-policy.js';
import { known } from '../pick.js';
import type { ScoringPolicy } from '../policy.js';

/**
 * AIBrix `throughput`: argmin of 2 x avg_prompt_toks_per_req + avg_generation_toks_per_req, both
 * long-window (1 day) per-request averages (our optional metrics avgPromptTokensPerReq and
 * avgGenerationTokensPerReq). Despite the name it is "least historical weighted tokens per
 * request". Ties uniform; random when no endpoint reports the metrics.
 */
export function createThroughput(): ScoringPolicy {
  return createLeastScorePolicy('throughput', scoreTokensPerRequest, 'per-request token averages');
}

/** 2 x avg prompt + avg generation tokens per request; unscored where either is not reported. */
const scoreTokensPerRequest: ScoringPolicy['scoreAll'] = (_req, endpoints, _ctx, out, ok) => {
  for (let i = 0; i < endpoints.length; i++) {
    const m = endpoints[i].metrics;
    if (known(m.avgPromptTokensPerReq) && known(m.avgGenerationTokensPerReq)) {
      out[i] = 2 * m.avgPromptTokensPerReq + m.avgGenerationTokensPerReq;
      ok[i] = 1;
    } else {
      out[i] = 0;
      ok[i] = 0;
    }
  }
};
