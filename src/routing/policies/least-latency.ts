import { createLeastScorePolicy } from '../least-score-policy.js';
import { known } from '../pick.js';
import type { ScoringPolicy } from '../policy.js';
import type { EndpointView, RequestView, RoutingContext } from '../types.js';

/**
 * AIBrix `least-latency` (`least_latency.go`): the expected latency of a fleet-average request,
 *
 *   score = prefill_time / avgPrompt x guessPrompt + decode_time / avgGen x guessGen
 *
 * where prefill/decode times are the means of the engine's request_prefill_time_seconds and
 * request_decode_time_seconds histograms since it started (avgPrefillTimeS, avgDecodeTimeS: AIBrix
 * stores the cumulative histograms as scraped). AIBrix's formula also adds the queue time, but it
 * reads that histogram with GetSimpleValue, which is 0 for a histogram
 * (vllm-project/aibrix@e3e10f9e: pkg/plugins/gateway/algorithms/least_latency.go, ScoreAll;
 * pkg/metrics/types.go, HistogramMetricValue.GetSimpleValue): the term is always 0, and only its
 * presence (avgQueueTimeS reported) is required. avgPrompt/avgGen the pod's per-request token
 * averages (avgPromptTokensPerReq, avgGenerationTokensPerReq; the guess when <= 0), and the
 * guesses their means over the pods that report them (10 and 100 otherwise). A pod missing any
 * of these metrics is unscored; argmin with ties uniform (AIBrix: last of a shuffled list);
 * random when nothing is scored. Not request-specific.
 */
export function createLeastLatency(): ScoringPolicy {
  return createLeastScorePolicy('least-latency', scoreLatency, 'queue/prefill/decode time metrics');
}

function scoreLatency(
  _req: RequestView,
  endpoints: readonly EndpointView[],
  _ctx: RoutingContext,
  scores: Float64Array,
  scored: Uint8Array,
): void {
  let sumP = 0;
  let nP = 0;
  let sumG = 0;
  let nG = 0;
  for (let i = 0; i < endpoints.length; i++) {
    const m = endpoints[i].metrics;
    if (known(m.avgPromptTokensPerReq) && m.avgPromptTokensPerReq > 0) {
      sumP += m.avgPromptTokensPerReq;
      nP++;
    }
    if (known(m.avgGenerationTokensPerReq) && m.avgGenerationTokensPerReq > 0) {
      sumG += m.avgGenerationTokensPerReq;
      nG++;
    }
  }
  const guessP = nP > 0 ? sumP / nP : 10;
  const guessG = nG > 0 ? sumG / nG : 100;
  for (let i = 0; i < endpoints.length; i++) {
    const m = endpoints[i].metrics;
    if (
      !known(m.avgQueueTimeS) ||
      !known(m.avgPromptTokensPerReq) ||
      !known(m.avgPrefillTimeS) ||
      !known(m.avgGenerationTokensPerReq) ||
      !known(m.avgDecodeTimeS)
    ) {
      scored[i] = 0;
      scores[i] = 0;
      continue;
    }
    const avgP = m.avgPromptTokensPerReq > 0 ? m.avgPromptTokensPerReq : guessP;
    const avgG = m.avgGenerationTokensPerReq > 0 ? m.avgGenerationTokensPerReq : guessG;
    scores[i] = (m.avgPrefillTimeS / avgP) * guessP + (m.avgDecodeTimeS / avgG) * guessG;
    scored[i] = 1;
  }
}
