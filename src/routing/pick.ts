import type { EndpointView, RoutingContext } from './types.js';

/**
 * Uniform choice among the endpoints for which `score` is smallest (NaN scores skipped). No allocation.
 *
 * This is also what AIBrix's "ties go to the first/last pod" rules amount to: its gateway shuffles
 * the pod list (CryptoShuffle) before every Route call, so a fixed position rule over a shuffled
 * list is a uniform choice among exact ties.
 */
export function pickMinRandomTie(
  endpoints: readonly EndpointView[],
  score: (e: EndpointView) => number,
  ctx: RoutingContext,
): EndpointView | undefined {
  return pickRandomTie(endpoints, score, 1, ctx);
}

/** Uniform choice among the endpoints for which `score` is largest (NaN scores skipped). */
export function pickMaxRandomTie(
  endpoints: readonly EndpointView[],
  score: (e: EndpointView) => number,
  ctx: RoutingContext,
): EndpointView | undefined {
  return pickRandomTie(endpoints, score, -1, ctx);
}

/** Minimum of sign x score; sign -1 turns it into the maximum (NaN stays NaN, ties stay ties). */
function pickRandomTie(
  endpoints: readonly EndpointView[],
  score: (e: EndpointView) => number,
  sign: 1 | -1,
  ctx: RoutingContext,
): EndpointView | undefined {
  let best = Infinity;
  let ties = 0;
  let chosen: EndpointView | undefined;
  for (let i = 0; i < endpoints.length; i++) {
    const e = endpoints[i];
    const s = sign * score(e);
    if (s < best || chosen === undefined) {
      if (Number.isNaN(s)) continue;
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

/** Uniform choice over the endpoints, or undefined when there are none. */
export function pickRandom(endpoints: readonly EndpointView[], ctx: RoutingContext): EndpointView | undefined {
  if (endpoints.length === 0) return undefined;
  return endpoints[randomInt(endpoints.length, ctx)];
}

/** Uniform integer in [0, n). */
export function randomInt(n: number, ctx: RoutingContext): number {
  const i = Math.floor(ctx.random() * n);
  return i >= n ? n - 1 : i;
}

/** Index-based min pick over a score buffer: uniform among exact ties, NaN/unscored skipped. */
export function argMinRandomTie(scores: Float64Array, scored: Uint8Array, n: number, ctx: RoutingContext): number {
  let best = Infinity;
  let ties = 0;
  let chosen = -1;
  for (let i = 0; i < n; i++) {
    if (!scored[i]) continue;
    const s = scores[i];
    if (Number.isNaN(s)) continue;
    if (chosen < 0 || s < best) {
      best = s;
      ties = 1;
      chosen = i;
    } else if (s === best) {
      ties++;
      if (ctx.random() * ties < 1) chosen = i;
    }
  }
  return chosen;
}

/** Grows a Float64Array buffer to at least `n` entries (reused across calls). */
export function growF64(buf: Float64Array<ArrayBuffer>, n: number): Float64Array<ArrayBuffer> {
  return buf.length >= n ? buf : new Float64Array(Math.max(n, buf.length * 2, 8));
}

/** Grows a Uint8Array buffer to at least `n` entries (reused across calls). */
export function growU8(buf: Uint8Array<ArrayBuffer>, n: number): Uint8Array<ArrayBuffer> {
  return buf.length >= n ? buf : new Uint8Array(Math.max(n, buf.length * 2, 8));
}

/** Grows an Int32Array buffer to at least `n` entries (reused across calls). */
/**
 * Fills `order` (grown to at least n) with a uniformly shuffled 0..n-1: the random pod order
 * AIBrix's gateway produces (CryptoShuffle) before a router runs. Returns the buffer.
 */
export function shuffledIndices(order: Int32Array<ArrayBuffer>, n: number, ctx: RoutingContext): Int32Array<ArrayBuffer> {
  const out = growI32(order, n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(ctx.random() * (i + 1));
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

export function growI32(buf: Int32Array<ArrayBuffer>, n: number): Int32Array<ArrayBuffer> {
  return buf.length >= n ? buf : new Int32Array(Math.max(n, buf.length * 2, 8));
}

/** Reports `message` through ctx.warn once per key and owner. */
export class WarnOnce {
  private readonly seen = new Set<string>();
  warn(ctx: RoutingContext, key: string, message: string): void {
    if (this.seen.has(key)) return;
    this.seen.add(key);
    ctx.warn(message);
  }
}

/** True when the value is a reported (finite) metric. */
export function known(v: number | undefined): v is number {
  return v !== undefined && Number.isFinite(v);
}
