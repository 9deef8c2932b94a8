import { boolOption, enumOption } from '../options.js';
import { known, randomInt, WarnOnce } from '../pick.js';
import type { PolicyOptions, RoutingPolicy } from '../policy.js';
import type { EndpointView } from '../types.js';

/**
 * SGLang router `power_of_two` (sglang-era `src/policies/power_of_two.rs`):
 *
 *   i1 = uniform(0..n); i2 = (i1 + 1 + uniform(0..n-1)) % n     (two distinct)
 *   if both have a cached load: compare them, else compare the router-local load (0 for this policy
 *   over HTTP: no load guard is created), and take the first on a tie (`l1 <= l2`).
 *
 * The cached load is the engine's `/get_load` num_tokens, polled every 30 s in the sglang era
 * (SMG: mean token_usage every 10 s). Here it is `metrics.numTokens` (or `metrics.kvUsage` with
 * option load: 'token_usage', the SMG behaviour), as stale as the host refreshes the metrics.
 * Without a snapshot (updatedAt not finite) or without the field, both sides compare the
 * router's own `worker.load()`: 0 behind the regular HTTP router, which holds no load guard for
 * this policy (the first sample wins, i.e. random), but the in-flight count behind the PD router,
 * which guards both workers of every request (lightseekorg/smg@c7f9bf9f5:src/routers/http/pd_router.rs;
 * option `loadGuards: true`, which `sglang-pd` sets). The cached loads are per worker: the sum over
 * its DP ranks of `/get_load` num_tokens, for prefill and decode workers alike
 * (src/core/worker_manager.rs, LoadMonitor feeding every power_of_two policy, src/policies/registry.rs).
 */
export function createSglangPowerOfTwo(options: PolicyOptions = {}): RoutingPolicy {
  const signal = enumOption(options, 'load', ['num_tokens', 'token_usage'] as const, 'num_tokens', 'power_of_two');
  const guards = boolOption(options, 'loadGuards', false, 'power_of_two');
  const warned = new WarnOnce();
  let missing = false;
  const cached = (e: EndpointView): number | undefined => {
    const m = e.metrics;
    if (!known(m.updatedAt)) return undefined;
    if (signal === 'token_usage') return known(m.kvUsage) ? m.kvUsage : undefined;
    if (known(m.numTokens)) return m.numTokens;
    missing = true;
    return undefined;
  };
  return {
    name: 'power_of_two',
    select(_req, endpoints, ctx) {
      const n = endpoints.length;
      if (n === 0) return undefined;
      if (n === 1) return endpoints[0];
      const i1 = randomInt(n, ctx);
      const i2 = (i1 + 1 + randomInt(n - 1, ctx)) % n;
      const w1 = endpoints[i1];
      const w2 = endpoints[i2];
      let l1 = cached(w1);
      let l2 = cached(w2);
      if (l1 === undefined || l2 === undefined) {
        if (missing) {
          warned.warn(
            ctx,
            'numTokens',
            `power_of_two: endpoints report no numTokens (SGLang /get_load); loads compare as ${guards ? 'router in-flight counts' : '0, so the pick is random'}. Use option load: "token_usage" to compare KV usage (SMG).`,
          );
        }
        // worker.load(): the router's in-flight guards under the PD router, 0 under the regular
        // HTTP router (no guard is created for power_of_two there).
        l1 = guards ? w1.counters.inflight : 0;
        l2 = guards ? w2.counters.inflight : 0;
      }
      return l1 <= l2 ? w1 : w2;
    },
  };
}
