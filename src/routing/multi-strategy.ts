import { RoutingConfigError, StrategyFormatError } from './errors.js';
import { growF64, growU8, shuffledIndices } from './pick.js';
import type { ScoringPolicy, RoutingPolicy } from './policy.js';
import type { EndpointView, RequestView, RoutingContext } from './types.js';

export interface StrategyItem {
  readonly name: string;
  /** Integer weight in [1, 1e6] (0-weighted items are dropped by the parser). */
  readonly weight: number;
}

/** AIBrix: `pd` and every `slo*` strategy manage their own pods and cannot be blended. */
export function isExclusiveStrategy(name: string): boolean {
  return name === 'pd' || name.startsWith('slo');
}

/**
 * Parses an AIBrix multi-strategy string, e.g. `prefix-cache:2,least-latency:1,least-request`
 * (`ParseMultiRouterConfig`): comma-separated items, each `name` or `name:weight`; weights are
 * integers in [0, 1000000], default 1, and 0 drops the item. If any item is exclusive (`pd`,
 * `slo*`), the first such item is returned alone. Throws StrategyFormatError on malformed input.
 */
export function parseStrategy(spec: string): StrategyItem[] {
  if (spec.trim() === '') throw new StrategyFormatError('empty routing algorithm', spec);
  const items: StrategyItem[] = [];
  for (const raw of spec.split(',')) {
    const part = raw.trim();
    if (part === '') throw new StrategyFormatError('empty algorithm name', spec);
    let name = part;
    let weight = 1;
    if (part.includes(':')) {
      const sub = part.split(':');
      if (sub.length !== 2) throw new StrategyFormatError(`invalid algorithm format: ${part}`, spec);
      name = sub[0].trim();
      if (name === '') throw new StrategyFormatError(`empty algorithm name in: ${part}`, spec);
      const w = sub[1].trim();
      // Go strconv.Atoi: optional sign, decimal digits only.
      if (!/^[+-]?\d+$/.test(w)) {
        throw new StrategyFormatError(`invalid weight coefficient in: ${part} (must be an integer)`, spec);
      }
      weight = Number(w);
      if (weight < 0 || weight > 1_000_000) {
        throw new StrategyFormatError(`weight coefficient out of bounds [0, 1000000] in: ${part}`, spec);
      }
    }
    if (weight > 0) items.push({ name, weight });
  }
  if (items.length === 0) throw new StrategyFormatError('no valid algorithms found (all weight coefficients were 0)', spec);
  const exclusive = items.find((it) => isExclusiveStrategy(it.name));
  return exclusive ? [{ name: exclusive.name, weight: 1 }] : items;
}

/**
 * AIBrix `multiStrategyRouter` (PR #2124): every strategy scores every endpoint (`ScoreAll`), the
 * scores are normalized per strategy to [0, 1] by min-max with the strategy's polarity (unscored or
 * non-finite: 0; all equal: 1), weighted by weight / sum of weights and summed; the winner is the
 * first endpoint, in the gateway's shuffled order, whose total is within 1e-9 of the running
 * maximum. Then every strategy's post-route update runs (e.g. prefix-cache indexes the prompt).
 * With a single endpoint it is chosen directly.
 */
export function createMultiStrategy(spec: string, items: readonly StrategyItem[], policies: readonly RoutingPolicy[]): ScoringPolicy {
  const scorers: ScoringPolicy[] = [];
  for (let k = 0; k < policies.length; k++) {
    const p = policies[k];
    if (typeof (p as ScoringPolicy).scoreAll !== 'function') {
      throw new RoutingConfigError(
        `strategy "${items[k].name}" cannot be combined in "${spec}": it does not score endpoints (no ScoreAll). ` +
          'Scoring strategies: least-request, least-kv-cache, least-gpu-cache, least-latency, throughput, prefix-cache, session-affinity, vtc-basic',
        undefined,
        'policy',
      );
    }
    scorers.push(p as ScoringPolicy);
  }
  let totalWeight = 0;
  for (const it of items) totalWeight += it.weight;
  const fractions = items.map((it) => it.weight / totalWeight);

  let raw = new Float64Array(8);
  let ok = new Uint8Array(8);
  let final = new Float64Array(8);
  let finalOk = new Uint8Array(8);
  let order = new Int32Array(8);

  const composite: ScoringPolicy = {
    name: spec,
    polarity: 'most',
    bypassSingleEndpoint: true,
    select(req, endpoints, ctx) {
      const n = endpoints.length;
      if (n === 0) return undefined;
      if (n === 1) return endpoints[0];
      final = growF64(final, n);
      finalOk = growU8(finalOk, n);
      composite.scoreAll(req, endpoints, ctx, final, finalOk);
      // The gateway shuffled the pods before Route: take the first near-maximum in a random order.
      order = shuffledIndices(order, n, ctx);
      let maxScore = -1;
      let winner = -1;
      for (let p = 0; p < n; p++) {
        const i = order[p];
        const s = final[i];
        if (Math.abs(s - maxScore) < 1e-9) {
          if (winner < 0) winner = i;
        } else if (s > maxScore) {
          maxScore = s;
          winner = i;
        }
      }
      return winner >= 0 ? endpoints[winner] : undefined;
    },
    /** Writes the blended score (0..1) per endpoint into `scores`. */
    scoreAll(req, endpoints, ctx, scores, scored) {
      const n = endpoints.length;
      raw = growF64(raw, n);
      ok = growU8(ok, n);
      for (let i = 0; i < n; i++) scores[i] = 0;
      for (let k = 0; k < scorers.length; k++) {
        for (let i = 0; i < n; i++) ok[i] = 0;
        scorers[k].scoreAll(req, endpoints, ctx, raw, ok);
        normalizeInPlace(raw, ok, n, scorers[k].polarity);
        const f = fractions[k];
        for (let i = 0; i < n; i++) scores[i] += raw[i] * f;
      }
      for (let i = 0; i < n; i++) scored[i] = 1;
    },
    onDispatch(req, endpoint, ctx) {
      for (const s of scorers) s.postRouteUpdate?.(req, endpoint, ctx);
    },
    onFirstToken(req, endpoint, ctx) {
      for (const s of scorers) s.onFirstToken?.(req, endpoint, ctx);
    },
    onComplete(req, endpoint, info, ctx) {
      for (const s of scorers) s.onComplete?.(req, endpoint, info, ctx);
    },
  };
  return composite;
}

/**
 * AIBrix normalization of one strategy's raw scores: min-max over the scored finite values;
 * polarity least: (max - s)/(max - min), most: (s - min)/(max - min); all equal: 1; unscored or
 * non-finite: 0. Overwrites `scores` with the normalized values.
 */
export function normalizeInPlace(scores: Float64Array, scored: Uint8Array, n: number, polarity: 'least' | 'most'): void {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    if (!scored[i] || !Number.isFinite(scores[i])) continue;
    if (scores[i] < min) min = scores[i];
    if (scores[i] > max) max = scores[i];
  }
  for (let i = 0; i < n; i++) {
    const s = scores[i];
    if (!scored[i] || !Number.isFinite(s)) scores[i] = 0;
    else if (max === min) scores[i] = 1;
    else scores[i] = polarity === 'least' ? (max - s) / (max - min) : (s - min) / (max - min);
  }
}

/** Convenience for tests and tools: the blended scores of a composite, per endpoint. */
export function blendedScores(
  policy: ScoringPolicy,
  req: RequestView,
  endpoints: readonly EndpointView[],
  ctx: RoutingContext,
): number[] {
  const s = new Float64Array(endpoints.length);
  const ok = new Uint8Array(endpoints.length);
  policy.scoreAll(req, endpoints, ctx, s, ok);
  return [...s];
}
