import { RoutingConfigError } from './errors.js';
import { growF64 } from './pick.js';
import type { EndpointView, RoutingContext } from './types.js';

/** Scorer names as llm-d's configuration spells them, with our short aliases. */
const SCORERS = {
  'queue-scorer': 'queue',
  queue: 'queue',
  'kv-cache-utilization-scorer': 'kvCache',
  kvCache: 'kvCache',
  'kv-cache': 'kvCache',
  'prefix-cache-scorer': 'prefix',
  prefix: 'prefix',
  'active-request-scorer': 'activeRequest',
  activeRequest: 'activeRequest',
  'active-request': 'activeRequest',
  'load-aware-scorer': 'loadAware',
  loadAware: 'loadAware',
  'load-aware': 'loadAware',
} as const;

export type Scorer = (typeof SCORERS)[keyof typeof SCORERS];
export type ScorerWeights = Record<Scorer, number>;

/** llm-d's own name of each scorer, in the order error messages list them. */
const LLM_D_NAMES: Record<Scorer, string> = {
  queue: 'queue-scorer',
  kvCache: 'kv-cache-utilization-scorer',
  prefix: 'prefix-cache-scorer',
  activeRequest: 'active-request-scorer',
  loadAware: 'load-aware-scorer',
};

/** load-aware-scorer queue threshold. */
const LOAD_AWARE_THRESHOLD = 128;

export interface WeightsOption {
  /** The weights when the option is absent. */
  readonly defaults: ScorerWeights;
  /** true: given weights replace the defaults (scorers not named get 0); false: they override one by one. */
  readonly replace: boolean;
  /** Scorers the policy knows; other names are unknown. */
  readonly scorers: readonly Scorer[];
  /** Whether the bad-weight message names the option (a policy with several weight options). */
  readonly nameOptionInWeightError: boolean;
}

/** Parses a `{ scorer name: weight }` option of policy `P`. */
export function parseScorerWeights(P: string, key: string, given: unknown, spec: WeightsOption): ScorerWeights {
  const weights: ScorerWeights = { ...spec.defaults };
  if (given === undefined) return weights;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new RoutingConfigError(`${P}: option "${key}" must be an object of scorer name -> weight`, undefined, key);
  }
  if (spec.replace) for (const k of Object.keys(weights) as Scorer[]) weights[k] = 0;
  for (const [name, v] of Object.entries(given)) {
    const s = (SCORERS as Record<string, Scorer | undefined>)[name];
    if (!s || !spec.scorers.includes(s)) {
      const known = spec.scorers.map((k) => LLM_D_NAMES[k]).join(', ');
      throw new RoutingConfigError(`${P}: unknown scorer "${name}" in "${key}"; known: ${known}`, undefined, `${key}.${name}`);
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      const where = spec.nameOptionInWeightError ? ` in "${key}"` : '';
      throw new RoutingConfigError(`${P}: weight of "${name}"${where} must be a non-negative number, got ${JSON.stringify(v)}`, undefined, `${key}.${name}`);
    }
    weights[s] = v;
  }
  return weights;
}

/**
 * llm-d's weighted scorers and max-score picker:
 *
 *   score(e) = sum over scorers of weight x clamp(scorer(e), 0, 1)   (a plain weighted sum)
 *   queue-scorer                (maxQ - Q) / (maxQ - minQ), 1 when all equal; Q = scraped waiting
 *   kv-cache-utilization-scorer 1 - KV usage (scraped)
 *   prefix-cache-scorer         matched blocks / prompt blocks (from the approximate prefix index)
 *   active-request-scorer       1 when idle, else (maxCount - c) / maxCount; c = gateway in-flight
 *   load-aware-scorer           Q = 0 -> 0.5, else 0.5 x (1 - min(Q, 128) / 128)
 *   pick: the maximum, uniformly at random among ties
 */
export class ScorerPicker {
  private total = new Float64Array(8);

  /**
   * The chosen position in `endpoints` (at least one). `matched[i]` / `prefixBlocks` feed the
   * prefix scorer and are read only when its weight is positive.
   */
  pick(
    endpoints: readonly EndpointView[],
    w: ScorerWeights,
    matched: Float64Array,
    prefixBlocks: number,
    ctx: RoutingContext,
    /**
     * The active-request count: 'inflight' (dispatch to completion), or for a P/D prefill
     * profile 'prefillInflight': llm-d's in-flight load releases the prefill endpoint at the
     * first response chunk, not at completion (llm-d-inference-scheduler@520af478:
     * pkg/epp/framework/plugins/requestcontrol/dataproducer/inflightload/producer.go, ResponseBody).
     */
    count: 'inflight' | 'prefillInflight' = 'inflight',
  ): number {
    const n = endpoints.length;
    const total = (this.total = growF64(this.total, n));
    let minQ = Infinity;
    let maxQ = -Infinity;
    let maxCount = 0;
    for (let i = 0; i < n; i++) {
      const e = endpoints[i];
      const q = Number.isFinite(e.metrics.waiting) ? e.metrics.waiting : 0;
      if (q < minQ) minQ = q;
      if (q > maxQ) maxQ = q;
      const c = e.counters[count] ?? 0;
      if (c > maxCount) maxCount = c;
    }
    for (let i = 0; i < n; i++) {
      const e = endpoints[i];
      const q = Number.isFinite(e.metrics.waiting) ? e.metrics.waiting : 0;
      let s = 0;
      if (w.queue > 0) s += w.queue * (maxQ === minQ ? 1 : clamp01((maxQ - q) / (maxQ - minQ)));
      if (w.kvCache > 0) s += w.kvCache * clamp01(1 - (Number.isFinite(e.metrics.kvUsage) ? e.metrics.kvUsage : 0));
      if (w.prefix > 0 && prefixBlocks > 0) s += w.prefix * clamp01(matched[i] / prefixBlocks);
      if (w.activeRequest > 0) {
        const c = e.counters[count] ?? 0;
        s += w.activeRequest * (c <= 0 ? 1 : clamp01((maxCount - c) / maxCount));
      }
      if (w.loadAware > 0) {
        s += w.loadAware * (q <= 0 ? 0.5 : 0.5 * (1 - Math.min(q, LOAD_AWARE_THRESHOLD) / LOAD_AWARE_THRESHOLD));
      }
      total[i] = s;
    }
    // Scores are finite (weights and scorers are), so every endpoint takes part.
    let best = 0;
    let ties = 1;
    for (let i = 1; i < n; i++) {
      if (total[i] > total[best]) {
        best = i;
        ties = 1;
      } else if (total[i] === total[best]) {
        ties++;
        if (ctx.random() * ties < 1) best = i;
      }
    }
    return best;
  }
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
