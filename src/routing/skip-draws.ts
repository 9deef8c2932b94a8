import type { RoutingContext } from './types.js';

/**
 * Advances the router's random stream by `n` draws whose values would change no decision: by the
 * host's `skipRandom` where it has one, else by drawing and discarding. Either way the draws after
 * it are the ones the full computation would have seen.
 */
export function skipDraws(ctx: RoutingContext, n: number): void {
  if (n <= 0) return;
  if (ctx.skipRandom) ctx.skipRandom(n);
  else for (let i = 0; i < n; i++) ctx.random();
}
