import { LlmDPrefixIndex } from '../llm-d-prefix-index.js';
import { parseScorerWeights, ScorerPicker, type ScorerWeights, type WeightsOption } from '../llm-d-scorers.js';
import { boolOption, numberOption } from '../options.js';
import type { PolicyOptions } from '../policy.js';
import type { PdRoutingPolicy } from './policy.js';

/**
 * llm-d's sample P/D profiles, prefill and decode alike: prefix-cache-scorer 2 + queue-scorer 1,
 * max-score picker (llm-d-inference-scheduler@520af478: deploy/config/pd-epp-config.yaml).
 */
const GUIDE_WEIGHTS: ScorerWeights = { queue: 1, kvCache: 0, prefix: 2, activeRequest: 0, loadAware: 0 };

/** Given weights replace the guide profile entirely: scorers not named get weight 0. */
const WEIGHTS_OPTION: WeightsOption = {
  defaults: GUIDE_WEIGHTS,
  replace: true,
  scorers: ['queue', 'kvCache', 'prefix', 'activeRequest', 'loadAware'],
  nameOptionInWeightError: true,
};

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
 * Scorers: llm-d's weighted scorers plus load-aware-scorer (formulas in llm-d-scorers.ts); the
 * prefix-cache-scorer reads llm-d's approximate prefix index (llm-d-prefix-index.ts).
 *
 * Defaults, from llm-d's sample P/D configuration (deploy/config/pd-epp-config.yaml): both
 * profiles prefix-cache-scorer 2 + queue-scorer 1 (options `decodeWeights`, `prefillWeights`
 * replace them, llm-d names); `nonCachedTokens` 16 (the decider's own default, 0, never
 * disaggregates); `blockTokens` 16, `maxPrefixBlocks` 256, per-endpoint LRU = its KV block count
 * with `autoTune` (default), else `lruCapacity` 31250 (the approximate prefix producer's). The
 * prefill profile's active-request-scorer counts prefills not yet done (llm-d releases the
 * prefill endpoint at the first response chunk).
 *
 * Deviations: llm-d estimates input tokens as characters / 4; here the prompt's token count. In
 * pull mode, when the decider wants a prefill endpoint and none has capacity, no pair is returned
 * (the request waits) rather than running the prefill on D.
 */
export function createLlmDPd(options: PolicyOptions = {}): PdRoutingPolicy {
  const P = 'llm-d-pd';
  const decodeWeights = parseScorerWeights(P, 'decodeWeights', options.decodeWeights, WEIGHTS_OPTION);
  const prefillWeights = parseScorerWeights(P, 'prefillWeights', options.prefillWeights, WEIGHTS_OPTION);
  const threshold = numberOption(options, 'nonCachedTokens', 16, { min: 0 }, P);
  const blockTokens = numberOption(options, 'blockTokens', 16, { min: 1, integer: true }, P);
  const maxBlocks = numberOption(options, 'maxPrefixBlocks', 256, { min: 1, integer: true }, P);
  const lruCapacity = numberOption(options, 'lruCapacity', 31250, { min: 1, integer: true }, P);
  const autoTune = boolOption(options, 'autoTune', true, P);
  // One index shared by the decode and prefill profiles, as in llm-d.
  const index = new LlmDPrefixIndex(P, blockTokens, maxBlocks, lruCapacity, autoTune);
  const picker = new ScorerPicker();

  return {
    name: P,
    selectPair(req, prefill, decode, ctx) {
      if (decode.length === 0) return undefined;
      index.geometry(req, ctx);
      index.match(req, decode);
      const di = picker.pick(decode, decodeWeights, index.matched, index.blocks, ctx);
      const d = decode[di];
      const hit = index.matched[di] * index.blockSize(req);
      const disaggregate = threshold > 0 && req.promptTokens >= threshold && req.promptTokens - hit >= threshold;
      if (!disaggregate) return { prefill: d, decode: d };
      if (prefill.length === 0) return undefined;
      index.match(req, prefill);
      const p = prefill[picker.pick(prefill, prefillWeights, index.matched, index.blocks, ctx, 'prefillInflight')];
      return { prefill: p, decode: d };
    },
    onDispatch(req, prefill, decode, ctx) {
      index.add(req, decode, ctx);
      if (prefill !== decode) index.add(req, prefill, ctx);
    },
  };
}
