import type { EndpointView, RoutingContext } from './types.js';

/** Uniform choice among the endpoints for which `score` is smallest. No allocation. */
export function pickMinRandomTie(
  endpoints: readonly EndpointView[],
  score: (e: EndpointView) => number,
  ctx: RoutingContext,
): EndpointView | undefined {
  let best = Infinity;
  let ties = 0;
  let chosen: EndpointView | undefined;
  for (let i = 0; i < endpoints.length; i++) {
    const e = endpoints[i];
    const s = score(e);
    if (s < best) {
      best = s;
      ties = 1;
      chosen = e;
    } else if (s === best) {
      // Reservoir sampling keeps the choice uniform among ties in one pass.
      ties++;
      if (ctx.random() * ties < 1) chosen = e;
    }
  }
  return chosen;
}
