import { argMinRandomTie, growF64, growU8, pickRandom, WarnOnce } from './pick.js';
import type { ScoringPolicy } from './policy.js';

/**
 * An AIBrix argmin router over its own scores: the scored endpoint with the smallest score,
 * uniformly at random among ties (AIBrix keeps the last minimum of a shuffled pod list); when no
 * endpoint is scored (the metric is not reported), a random endpoint, as AIBrix does, with one
 * warning saying `${name}: no endpoint reports ${missing}`.
 */
export function createLeastScorePolicy(name: string, scoreAll: ScoringPolicy['scoreAll'], missing: string): ScoringPolicy {
  let scores = new Float64Array(8);
  let scored = new Uint8Array(8);
  const warned = new WarnOnce();
  return {
    name,
    polarity: 'least',
    bypassSingleEndpoint: true,
    select(req, endpoints, ctx) {
      scores = growF64(scores, endpoints.length);
      scored = growU8(scored, endpoints.length);
      scoreAll(req, endpoints, ctx, scores, scored);
      const i = argMinRandomTie(scores, scored, endpoints.length, ctx);
      if (i >= 0) return endpoints[i];
      if (endpoints.length > 0) warned.warn(ctx, 'none', `${name}: no endpoint reports ${missing}; picking at random, as AIBrix does`);
      return pickRandom(endpoints, ctx);
    },
    scoreAll,
  };
}
