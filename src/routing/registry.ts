import { RoutingConfigError, UnknownPolicyError } from './errors.js';
import { withOptionCheck } from './option-check.js';
import { createMultiStrategy, parseStrategy } from './multi-strategy.js';
import type { PolicyFactory, PolicyOptions, RoutingPolicy } from './policy.js';
import { createClassToGpu } from './policies/class-to-gpu.js';
import { createDynamoKv } from './policies/dynamo-kv.js';
import { createLeastGpuCache } from './policies/least-gpu-cache.js';
import { createLeastKvCache } from './policies/least-kv-cache.js';
import { createLeastLatency } from './policies/least-latency.js';
import { createLeastRequest } from './policies/least-request.js';
import { createLlmD } from './policies/llm-d.js';
import { createPowerOfTwo } from './policies/power-of-two.js';
import { createPrefixCache } from './policies/prefix-cache.js';
import { createRandom } from './policies/random.js';
import { createRoundRobin } from './policies/round-robin.js';
import { createSessionAffinity } from './policies/session-affinity.js';
import { createSglangCacheAware } from './policies/sglang-cache-aware.js';
import { createSglangPowerOfTwo } from './policies/sglang-power-of-two.js';
import { sloFactory } from './policies/slo.js';
import { createThroughput } from './policies/throughput.js';
import { createVtcBasic } from './policies/vtc-basic.js';

export { UnknownPolicyError } from './errors.js';

/** Policy names (production spellings) mapped to factories. */
const factories = new Map<string, PolicyFactory>([
  // AIBrix gateway (vllm-project/aibrix pkg/plugins/gateway/algorithms)
  ['random', createRandom],
  ['least-request', createLeastRequest],
  ['least-kv-cache', createLeastKvCache],
  ['least-gpu-cache', createLeastGpuCache],
  ['least-latency', createLeastLatency],
  ['throughput', createThroughput],
  ['power-of-two', createPowerOfTwo],
  ['prefix-cache', createPrefixCache],
  ['session-affinity', createSessionAffinity],
  ['vtc-basic', createVtcBasic],
  ['slo', sloFactory('slo')],
  ['slo-least-load-pulling', sloFactory('slo-least-load-pulling')],
  ['slo-least-load', sloFactory('slo-least-load')],
  ['slo-pack-load', sloFactory('slo-pack-load')],
  // SGLang router
  ['round_robin', createRoundRobin],
  ['round-robin', createRoundRobin], // alias
  ['power_of_two', createSglangPowerOfTwo],
  ['cache_aware', createSglangCacheAware],
  // llm-d endpoint picker
  ['llm-d', createLlmD],
  // NVIDIA Dynamo KV router
  ['dynamo-kv', createDynamoKv],
  // Baselines: static class -> GPU type assignment (AIBrix's Oracle and Scalar)
  ['class-to-gpu', createClassToGpu],
]);

export function knownPolicies(): string[] {
  return [...factories.keys()].sort();
}

/** Registers (or replaces) a policy factory under a name. */
export function registerPolicy(name: string, factory: PolicyFactory): void {
  if (!/^[A-Za-z0-9_.\-/]+$/.test(name)) {
    throw new RoutingConfigError(`invalid policy name "${name}": use letters, digits and _ . - /`, undefined, 'policy');
  }
  factories.set(name, factory);
}

export function hasPolicy(name: string): boolean {
  return factories.has(name);
}

/**
 * Creates a policy by name. `name` may also be an AIBrix multi-strategy string such as
 * `prefix-cache:2,least-request` (see parseStrategy): each strategy gets `options` merged with
 * `options[strategyName]` when that is an object.
 */
export function createPolicy(name: string, options: PolicyOptions = {}): RoutingPolicy {
  if (!name.includes(',') && !name.includes(':')) {
    return withOptionCheck(name.trim(), options, (checked) => createSingle(name.trim(), checked));
  }
  const items = parseStrategy(name);
  for (const it of items) if (!factories.has(it.name)) throw new UnknownPolicyError(it.name, knownPolicies());
  if (items.length === 1) return createSingle(items[0].name, subOptions(options, items[0].name));
  const policies = items.map((it) => createSingle(it.name, subOptions(options, it.name)));
  return createMultiStrategy(name.trim(), items, policies);
}

function createSingle(name: string, options: PolicyOptions): RoutingPolicy {
  const factory = factories.get(name);
  if (!factory) throw new UnknownPolicyError(name, knownPolicies());
  return factory(options);
}

function subOptions(options: PolicyOptions, name: string): PolicyOptions {
  const own = options[name];
  if (typeof own === 'object' && own !== null && !Array.isArray(own)) return { ...options, ...(own as PolicyOptions) };
  return options;
}
