import { argMinRandomTie, growF64, growU8, known, pickRandom, WarnOnce } from '../pick.js';
import type { ScoringPolicy } from '../policy.js';

/**
 * AIBrix `throughput`: argmin of 2 x avg_prompt_toks_per_req + avg_generation_toks_per_req, both
 * long-window (1 day) per-request averages (our optional metrics avgPromptTokensPerReq and
 * avgGenerationTokensPerReq). Despite the name it is "least historical weighted tokens per
 * request". Ties uniform; random when no endpoint reports the metrics.
 */
export function createThroughput(): ScoringPolicy {
  let scores = new Float64Array(8);
  let scored = new Uint8Array(8);
  const warned = new WarnOnce();
  const policy: ScoringPolicy = {
    name: 'throughput',
    polarity: 'least',
    bypassSingleEndpoint: true,
    select(req, endpoints, ctx) {
      scores = growF64(scores, endpoints.length);
      scored = growU8(scored, endpoints.length);
      policy.scoreAll(req, endpoints, ctx, scores, scored);
      const i = argMinRandomTie(scores, scored, endpoints.length, ctx);
      if (i >= 0) return endpoints[i];
      if (endpoints.length > 0) {
        warned.warn(ctx, 'none', 'throughput: no endpoint reports per-request token averages; picking at random, as AIBrix does');
      }
      return pickRandom(endpoints, ctx);
    },
    scoreAll(_req, endpoints, _ctx, out, ok) {
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
    },
  };
  return policy;
}
