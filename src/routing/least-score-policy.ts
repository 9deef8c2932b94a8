import type { FleetIndex } from './fleet-index.js';
import { argMinRandomTie, growF64, growI32, growU8, pickRandom, WarnOnce } from './pick.js';
import type { ScoringPolicy } from './policy.js';

/**
 * An AIBrix argmin router over its own scores: the scored endpoint with the smallest score,
 * uniformly at random among ties (AIBrix keeps the last minimum of a shuffled pod list); when no
 * endpoint is scored (the metric is not reported), a random endpoint, as AIBrix does, with one
 * warning saying `${name}: no endpoint reports ${missing}`.
 *
 * `scoreAll` must read the endpoints' metric snapshots only (not the request, not the counters):
 * then the scores hold until the next metrics refresh, and `selectIndexed` scores once per refresh.
 * A pick then replays the scan's random draws from what that scoring found: one draw per tie of
 * each running minimum the scan passes before the smallest (their number is fixed by the scores),
 * then the reservoir draws over the endpoints with the smallest score.
 */
export function createLeastScorePolicy(name: string, scoreAll: ScoringPolicy['scoreAll'], missing: string): ScoringPolicy {
  let scores = new Float64Array(8);
  let scored = new Uint8Array(8);
  const warned = new WarnOnce();
  // What the last scoring of a fleet found: draws before the smallest score, and its endpoints.
  let scoredFleet: FleetIndex | undefined;
  let scoredEpoch = -1;
  let passedDraws = 0;
  let ties = new Int32Array(8);
  let tieCount = 0;
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
    selectIndexed(req, fleet, ctx) {
      const endpoints = fleet.endpoints;
      const n = endpoints.length;
      if (fleet !== scoredFleet || fleet.metricsEpoch !== scoredEpoch) {
        scores = growF64(scores, n);
        scored = growU8(scored, n);
        ties = growI32(ties, n);
        scoreAll(req, endpoints, ctx, scores, scored);
        // argMinRandomTie's scan, counting its draws instead of drawing.
        let best = Infinity;
        let run = 0;
        passedDraws = 0;
        tieCount = 0;
        for (let i = 0; i < n; i++) {
          if (!scored[i]) continue;
          const s = scores[i];
          if (Number.isNaN(s)) continue;
          if (tieCount === 0 || s < best) {
            if (run > 0) passedDraws += run - 1;
            best = s;
            run = 1;
            tieCount = 0;
            ties[tieCount++] = i;
          } else if (s === best) {
            run++;
            ties[tieCount++] = i;
          }
        }
        scoredFleet = fleet;
        scoredEpoch = fleet.metricsEpoch;
      }
      for (let k = 0; k < passedDraws; k++) ctx.random();
      if (tieCount === 0) {
        if (n > 0) warned.warn(ctx, 'none', `${name}: no endpoint reports ${missing}; picking at random, as AIBrix does`);
        return pickRandom(endpoints, ctx);
      }
      let chosen = 0;
      for (let k = 2; k <= tieCount; k++) if (ctx.random() * k < 1) chosen = k - 1;
      return endpoints[ties[chosen]];
    },
    scoreAll,
  };
}
