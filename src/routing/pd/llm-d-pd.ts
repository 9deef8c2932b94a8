import { blockHash, blockStride, sharedBlocks } from '../blocks.js';
import { RoutingConfigError } from '../errors.js';
import { Lru } from '../lru.js';
import { numberOption } from '../options.js';
import { growF64 } from '../pick.js';
import type { PolicyOptions } from '../policy.js';
import type { EndpointView, RequestView, RoutingContext } from '../types.js';
import type { PdRoutingPolicy } from './policy.js';

/** Scorer names as llm-d's configuration spells them, with short aliases. */
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
type Scorer = (typeof SCORERS)[keyof typeof SCORERS];
type Weights = Record<Scorer, number>;

/** llm-d's P/D guide profiles: prefix-cache-scorer 2 + load-aware-scorer 1 (max-score picker). */
const GUIDE_WEIGHTS: Weights = { queue: 0, kvCache: 0, prefix: 2, activeRequest: 0, loadAware: 1 };
/** load-aware-scorer queue threshold. */
const LOAD_AWARE_THRESHOLD = 128;

function parseWeights(P: string, key: string, w: unknown): Weights {
  const weights: Weights = { ...GUIDE_WEIGHTS };
  if (w === undefined) return weights;
  if (typeof w !== 'object' || w === null || Array.isArray(w)) {
    throw new RoutingConfigError(`${P}: option "${key}" must be an object of scorer name -> weight`, undefined, key);
  }
  // Given weights replace the guide profile entirely: scorers not named get weight 0.
  for (const k of Object.keys(weights) as Scorer[]) weights[k] = 0;
  for (const [name, v] of Object.entries(w)) {
    const s = (SCORERS as Record<string, Scorer>)[name];
    if (!s) {
      throw new RoutingConfigError(
        `${P}: unknown scorer "${name}" in "${key}"; known: queue-scorer, kv-cache-utilization-scorer, prefix-cache-scorer, active-request-scorer, load-aware-scorer`,
        undefined,
        `${key}.${name}`,
      );
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new RoutingConfigError(`${P}: weight of "${name}" in "${key}" must be a non-negative number, got ${JSON.stringify(v)}`, undefined, `${key}.${name}`);
    }
    weights[s] = v;
  }
  return weights;
}

/**
 * llm-d's approximate prefix producer (`approx-prefix-cache-producer`), shared by the decode and
 * prefill profiles as in llm-d: 16-token blocks, at most 256 per prompt, none for prompts
 * shorter than one block; a block counts for every endpoint holding it, in order, until a block
 * nobody holds; after the pick the prompt's blocks go into each chosen endpoint's LRU.
 */
class ApproxPrefixIndex {
  private readonly index = new Map<number, number[]>();
  private readonly lrus = new Map<number, Lru<null>>();
  private warnedHbt = -1;
  stride = 1;
  /** Router blocks of the prompt (capped), and of them the shared (hashable) ones. */
  blocks = 0;
  shared = 0;

  constructor(
    private readonly P: string,
    private readonly blockTokens: number,
    private readonly maxBlocks: number,
    private readonly lruCapacity: number,
  ) {}

  geometry(req: RequestView, ctx: RoutingContext): void {
    const stride = blockStride(req, this.blockTokens);
    if (stride * req.hashBlockTokens !== this.blockTokens && this.warnedHbt !== req.hashBlockTokens) {
      this.warnedHbt = req.hashBlockTokens;
      ctx.warn(
        `${this.P}: requests hash ${req.hashBlockTokens}-token blocks; llm-d's ${this.blockTokens}-token blocks are ` +
          `approximated by ${stride * req.hashBlockTokens}-token blocks`,
      );
    }
    const size = stride * req.hashBlockTokens;
    this.stride = stride;
    this.blocks = req.promptTokens < size ? 0 : Math.min(this.maxBlocks, Math.ceil(req.promptTokens / size));
    this.shared = Math.min(sharedBlocks(req, stride), this.blocks);
  }

  /** Tokens of one router block for the last geometry. */
  blockSize(req: RequestView): number {
    return this.stride * req.hashBlockTokens;
  }

  /** matched[i] = blocks of the prompt endpoint i holds (call geometry first). */
  match(req: RequestView, endpoints: readonly EndpointView[], matched: Float64Array): void {
    for (let i = 0; i < endpoints.length; i++) matched[i] = 0;
    for (let j = 0; j < this.shared; j++) {
      const pods = this.index.get(blockHash(req, this.stride, j));
      if (!pods || pods.length === 0) break;
      for (let i = 0; i < endpoints.length; i++) if (pods.includes(endpoints[i].index)) matched[i]++;
    }
  }

  add(req: RequestView, endpoint: EndpointView, ctx: RoutingContext): void {
    this.geometry(req, ctx);
    let lru = this.lrus.get(endpoint.index);
    if (!lru) this.lrus.set(endpoint.index, (lru = new Lru<null>()));
    for (let j = 0; j < this.shared; j++) {
      const h = blockHash(req, this.stride, j);
      if (lru.touch(h)) continue;
      lru.put(h, null);
      const pods = this.index.get(h);
      if (pods) pods.push(endpoint.index);
      else this.index.set(h, [endpoint.index]);
    }
    const rest = this.blocks - this.shared;
    if (rest > 0) lru.put(-(req.id + 0.5), null, rest); // the prompt's unique blocks, as one entry
    while (lru.weight > this.lruCapacity) {
      const k = (lru.shift() as { key: number }).key;
      const pods = this.index.get(k);
      if (pods) {
        const at = pods.indexOf(endpoint.index);
        if (at >= 0) pods.splice(at, 1);
        if (pods.length === 0) this.index.delete(k);
      }
    }
  }
}

/**
 * llm-d decode-first P/D (`pd-profile-handler` / `disagg-profile-handler` with the
 * `prefix-based-pd-decider`, llm-d-inference-scheduler 520af478):
 *
 *   1. run the "decode" profile over the decode endpoints -> D (weighted scorers, max-score
 *      picker, uniform among ties);
 *   2. decide: N = nonCachedTokens; disaggregate iff N > 0, prompt >= N and
 *      prompt - matchedBlocks(D) x blockTokens >= N;
 *   3. if so, run the "prefill" profile over the prefill endpoints -> P and return (P, D);
 *      otherwise return (D, D): the decode endpoint runs the prompt itself, no KV transfer.
 *   After the pick the prompt's blocks are indexed for D and for P (one shared index).
 *
 * Scorers (each clamped to [0, 1], weighted sum): queue-scorer (maxQ - Q)/(maxQ - minQ) (1 if
 * all equal), kv-cache-utilization-scorer 1 - KV usage, prefix-cache-scorer matched / prompt
 * blocks, active-request-scorer 1 when idle else (max - c)/max over the gateway in-flight counts,
 * load-aware-scorer Q = 0 -> 0.5 else 0.5 x (1 - min(Q, 128)/128); Q = scraped waiting requests.
 *
 * Defaults: both profiles use llm-d's P/D guide scorers, prefix-cache-scorer 2 +
 * load-aware-scorer 1 (options `decodeWeights`, `prefillWeights` replace them, llm-d names);
 * `nonCachedTokens` 128 (llm-d's own default is 0, which never disaggregates); `blockTokens` 16,
 * `maxPrefixBlocks` 256, `lruCapacity` 31250 (the approximate prefix producer's).
 *
 * Deviations: llm-d estimates input tokens as characters / 4; here the prompt's token count. In
 * pull mode, when the decider wants a prefill endpoint and none has capacity, no pair is returned
 * (the request waits) rather than running the prefill on D.
 */
export function createLlmDPd(options: PolicyOptions = {}): PdRoutingPolicy {
  const P = 'llm-d-pd';
  const decodeWeights = parseWeights(P, 'decodeWeights', options.decodeWeights);
  const prefillWeights = parseWeights(P, 'prefillWeights', options.prefillWeights);
  const threshold = numberOption(options, 'nonCachedTokens', 128, { min: 0 }, P);
  const blockTokens = numberOption(options, 'blockTokens', 16, { min: 1, integer: true }, P);
  const maxBlocks = numberOption(options, 'maxPrefixBlocks', 256, { min: 1, integer: true }, P);
  const lruCapacity = numberOption(options, 'lruCapacity', 31250, { min: 1, integer: true }, P);
  const index = new ApproxPrefixIndex(P, blockTokens, maxBlocks, lruCapacity);

  let matched = new Float64Array(8);
  let total = new Float64Array(8);

  /** Runs one profile; returns the chosen position in `endpoints` (matched[] stays filled). */
  const profile = (req: RequestView, endpoints: readonly EndpointView[], w: Weights, ctx: RoutingContext): number => {
    const n = endpoints.length;
    matched = growF64(matched, n);
    total = growF64(total, n);
    let minQ = Infinity;
    let maxQ = -Infinity;
    let maxCount = 0;
    for (let i = 0; i < n; i++) {
      const e = endpoints[i];
      const q = Number.isFinite(e.metrics.waiting) ? e.metrics.waiting : 0;
      if (q < minQ) minQ = q;
      if (q > maxQ) maxQ = q;
      if (e.counters.inflight > maxCount) maxCount = e.counters.inflight;
    }
    index.match(req, endpoints, matched);
    for (let i = 0; i < n; i++) {
      const e = endpoints[i];
      const q = Number.isFinite(e.metrics.waiting) ? e.metrics.waiting : 0;
      let s = 0;
      if (w.queue > 0) s += w.queue * (maxQ === minQ ? 1 : clamp01((maxQ - q) / (maxQ - minQ)));
      if (w.kvCache > 0) s += w.kvCache * clamp01(1 - (Number.isFinite(e.metrics.kvUsage) ? e.metrics.kvUsage : 0));
      if (w.prefix > 0 && index.blocks > 0) s += w.prefix * clamp01(matched[i] / index.blocks);
      if (w.activeRequest > 0) {
        const c = e.counters.inflight;
        s += w.activeRequest * (c <= 0 ? 1 : clamp01((maxCount - c) / maxCount));
      }
      if (w.loadAware > 0) {
        s += w.loadAware * (q <= 0 ? 0.5 : 0.5 * (1 - Math.min(q, LOAD_AWARE_THRESHOLD) / LOAD_AWARE_THRESHOLD));
      }
      total[i] = s;
    }
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
  };

  return {
    name: P,
    selectPair(req, prefill, decode, ctx) {
      if (decode.length === 0) return undefined;
      index.geometry(req, ctx);
      const di = profile(req, decode, decodeWeights, ctx);
      const d = decode[di];
      const hit = matched[di] * index.blockSize(req);
      const disaggregate = threshold > 0 && req.promptTokens >= threshold && req.promptTokens - hit >= threshold;
      if (!disaggregate) return { prefill: d, decode: d };
      if (prefill.length === 0) return undefined;
      const p = prefill[profile(req, prefill, prefillWeights, ctx)];
      return { prefill: p, decode: d };
    },
    onDispatch(req, prefill, decode, ctx) {
      index.add(req, decode, ctx);
      if (prefill !== decode) index.add(req, prefill, ctx);
    },
  };
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
