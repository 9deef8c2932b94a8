import { describe, expect, it } from 'vitest';
import { RoutingConfigError, UnknownPolicyError, createPolicy, knownPolicies } from '../../src/routing/index.js';

describe('policy registry', () => {
  it('knows every production name', () => {
    const names = knownPolicies();
    for (const n of [
      'random', 'least-request', 'least-kv-cache', 'least-gpu-cache', 'least-latency', 'throughput', 'power-of-two',
      'prefix-cache', 'session-affinity', 'vtc-basic', 'slo', 'slo-least-load-pulling', 'slo-least-load', 'slo-pack-load',
      'round_robin', 'power_of_two', 'cache_aware', 'llm-d', 'dynamo-kv',
    ]) {
      expect(names).toContain(n);
      expect(createPolicy(n).name).toBe(n);
    }
  });

  it('rejects unknown names listing the known ones, and bad options naming the option', () => {
    try {
      createPolicy('least-requests');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UnknownPolicyError);
      expect(e).toBeInstanceOf(RoutingConfigError);
      expect((e as Error).message).toMatch(/^unknown routing policy "least-requests"; known policies: cache_aware, class-to-gpu, dynamo-kv, /);
    }
    expect(() => createPolicy('prefix-cache', { blockTokens: 'big' })).toThrow(/prefix-cache: option "blockTokens" must be a number/);
    expect(() => createPolicy('cache_aware', { cacheThreshold: 2 })).toThrow(/must be <= 1/);
    expect(() => createPolicy('slo', { profiles: {} })).toThrow(/must be a ProfileSet/);
    expect(() => createPolicy('session-affinity', { mode: 'cookie' })).toThrow(/one of "session-id", "session-key"/);
  });
});
