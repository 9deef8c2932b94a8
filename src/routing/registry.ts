import type { PolicyFactory, PolicyOptions, RoutingPolicy } from './policy.js';
import { createLeastRequest } from './policies/least-request.js';
import { createRandom } from './policies/random.js';
import { createRoundRobin } from './policies/round-robin.js';

/** Policy names (production spellings) mapped to factories. */
const factories = new Map<string, PolicyFactory>([
  ['random', createRandom],
  ['round-robin', createRoundRobin],
  ['round_robin', createRoundRobin],
  ['least-request', createLeastRequest],
]);

export class UnknownPolicyError extends Error {
  constructor(readonly policy: string) {
    super(`unknown routing policy "${policy}"; known policies: ${knownPolicies().join(', ')}`);
  }
}

export function knownPolicies(): string[] {
  return [...factories.keys()].sort();
}

export function registerPolicy(name: string, factory: PolicyFactory): void {
  factories.set(name, factory);
}

export function hasPolicy(name: string): boolean {
  return factories.has(name);
}

export function createPolicy(name: string, options: PolicyOptions = {}): RoutingPolicy {
  const factory = factories.get(name);
  if (!factory) throw new UnknownPolicyError(name);
  return factory(options);
}
