import { LlmDPrefixIndex } from '../llm-d-prefix-index.js';
import { parseScorerWeights, ScorerPicker, type ScorerWeights } from '../llm-d-scorers.js';
import { boolOption, numberOption } from '../options.js';
import type { PolicyOptions, RoutingPolicy } from '../policy.js';

/** llm-d's default weights (`loader/defaults.go`): active-request is not in the default set. */
const DEFAULT_WEIGHTS: ScorerWeights = { queue: 2, kvCache: 2, prefix: 3, activeRequest: 0, loadAware: 0 };

/**
 * llm-d inference scheduler endpoint picker (`llm-d/llm-d-inference-scheduler`, GIE EPP lineage),
 * default profile: no filters, weighted scorers (queue, kv-cache-utilization, prefix-cache,
 * active-request; formulas in llm-d-scorers.ts), max-score picker, uniform among ties.
 *
 * Default weights: queue 2, kv-cache 2, prefix 3, active-request 0. Option `weights` overrides
 * them by scorer name, e.g. `{ "prefix-cache-scorer": 2, "active-request-scorer": 1, "queue-scorer": 0 }`.
 *
 * Prefix cache: llm-d's approximate prefix producer (llm-d-prefix-index.ts), options
 * `blockTokens` 16, `maxPrefixBlocks` 256; LRU blocks per endpoint = its KV block count
 * (`metrics.kvBlocks`) with `autoTune` (default true, as llm-d), else `lruCapacity` 31250.
 */
export function createLlmD(options: PolicyOptions = {}): RoutingPolicy {
  const P = 'llm-d';
  const weights = parseScorerWeights(P, 'weights', options.weights, {
    defaults: DEFAULT_WEIGHTS,
    replace: false,
    scorers: ['queue', 'kvCache', 'prefix', 'activeRequest'],
    nameOptionInWeightError: false,
  });
  const blockTokens = numberOption(options, 'blockTokens', 16, { min: 1, integer: true }, P);
  const maxBlocks = numberOption(options, 'maxPrefixBlocks', 256, { min: 1, integer: true }, P);
  const lruCapacity = numberOption(options, 'lruCapacity', 31250, { min: 1, integer: true }, P);
  const autoTune = boolOption(options, 'autoTune', true, P);
  const index = new LlmDPrefixIndex(P, blockTokens, maxBlocks, lruCapacity, autoTune);
  const picker = new ScorerPicker();

  return {
    name: P,
    select(req, endpoints, ctx) {
      if (endpoints.length === 0) return undefined;
      if (weights.prefix > 0) {
        index.geometry(req, ctx);
        index.match(req, endpoints);
      }
      return endpoints[picker.pick(endpoints, weights, index.matched, index.blocks, ctx)];
    },
    onDispatch(req, endpoint, ctx) {
      if (weights.prefix > 0) index.add(req, endpoint, ctx);
    },
  };
}
