import { RoutingConfigError } from '../errors.js';
import type { PolicyOptions, RoutingPolicy } from '../policy.js';
import { createRandom } from '../policies/random.js';
import { createRoundRobin } from '../policies/round-robin.js';
import { createSglangCacheAware } from '../policies/sglang-cache-aware.js';
import { createSglangPowerOfTwo } from '../policies/sglang-power-of-two.js';
import type { PdRoutingPolicy } from './policy.js';

/** The single-endpoint policies SGLang's router accepts for `--prefill-policy` / `--decode-policy`. */
const SIDE_POLICIES: Record<string, (o: PolicyOptions) => RoutingPolicy> = {
  random: createRandom,
  round_robin: createRoundRobin,
  'round-robin': createRoundRobin,
  power_of_two: createSglangPowerOfTwo,
  cache_aware: createSglangCacheAware,
};

/**
 * SGLang router PD mode (sglang-era `src/routers/http/pd_router.rs`): the prefill and the decode
 * worker are picked independently, each by its own policy instance (`--prefill-policy`,
 * `--decode-policy`, both defaulting to `--policy`, itself defaulting to cache_aware): two round
 * robin counters, two cache trees. No coupling between the picks, no roleset.
 *
 * Deviation: at lightseekorg/smg@c7f9bf9f5 the two PD cache trees were never initialised
 * (PolicyRegistry::init_pd_cache_aware_policies had no caller: PD cache_aware fell back to random
 * or least-loaded and learned nothing); SMG #1520 (48cb949bf) fixed it. This models the fix.
 *
 * Options: `prefill`, `decode` (random | round_robin | power_of_two | cache_aware), `policy`
 * (the default of both, cache_aware), `prefillOptions`, `decodeOptions` (that policy's options).
 *
 * power_of_two compares each worker's own cached load (metrics.numTokens, /get_load summed over
 * its DP ranks), else the in-flight counts of both (the PD router's guards; option loadGuards).
 * Loads (cache_aware, and the fallback of power_of_two) are the router's in-flight counters
 * (`counters.inflight`), which the PdGateway holds on both workers from dispatch to completion,
 * as SGLang's load guards do for non-streaming requests (and for all requests since SMG #1714;
 * before it a streaming request counted from its streamed response on). The policies see the
 * whole prompt; SGLang's PD router gives them a chat request's first message only.
 */
export function createSglangPd(options: PolicyOptions = {}): PdRoutingPolicy {
  const P = 'sglang-pd';
  const side = (key: 'prefill' | 'decode'): RoutingPolicy => {
    const fallback = options.policy ?? 'cache_aware';
    const name = options[key] ?? fallback;
    const where = options[key] === undefined && options.policy !== undefined ? 'policy' : key;
    if (typeof name !== 'string' || !(name in SIDE_POLICIES)) {
      throw new RoutingConfigError(
        `${P}: option "${where}" must be one of "random", "round_robin", "power_of_two", "cache_aware", got ${JSON.stringify(name)}`,
        undefined,
        where,
      );
    }
    const own = options[`${key}Options`];
    if (own !== undefined && (typeof own !== 'object' || own === null || Array.isArray(own))) {
      throw new RoutingConfigError(`${P}: option "${key}Options" must be an object of policy options`, undefined, `${key}Options`);
    }
    // The PD router holds load guards on both workers of every request, so power_of_two's
    // fallback load is the in-flight count there (not 0 as behind the regular router).
    const sideOptions = name === 'power_of_two' ? { loadGuards: true, ...(own as PolicyOptions) } : own;
    return SIDE_POLICIES[name]((sideOptions ?? {}) as PolicyOptions);
  };
  const prefillPolicy = side('prefill');
  const decodePolicy = side('decode');

  return {
    name: P,
    selectPair(req, prefill, decode, ctx) {
      if (prefill.length === 0 || decode.length === 0) return undefined;
      const p = prefillPolicy.select(req, prefill, ctx);
      if (!p) return undefined;
      const d = decodePolicy.select(req, decode, ctx);
      if (!d) return undefined;
      return { prefill: p, decode: d };
    },
    onDispatch(req, prefill, decode, ctx) {
      prefillPolicy.onDispatch?.(req, prefill, ctx);
      decodePolicy.onDispatch?.(req, decode, ctx);
    },
    onPrefillDone(req, prefill, decode, ctx) {
      prefillPolicy.onFirstToken?.(req, prefill, ctx);
      decodePolicy.onFirstToken?.(req, decode, ctx);
    },
    onComplete(req, prefill, decode, info, ctx) {
      prefillPolicy.onComplete?.(req, prefill, info, ctx);
      decodePolicy.onComplete?.(req, decode, info, ctx);
    },
  };
}
