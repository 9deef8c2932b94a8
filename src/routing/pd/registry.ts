import { withOptionCheck } from '../option-check.js';
import { RoutingConfigError, UnknownPdPolicyError } from '../errors.js';
import type { PolicyOptions } from '../policy.js';
import { createAibrixPd } from './aibrix-pd.js';
import { createLlmDPd } from './llm-d-pd.js';
import type { PdPolicyFactory, PdRoutingPolicy } from './policy.js';
import { createSglangPd } from './sglang-pd.js';
import { createSloPd } from './slo-pd.js';

/** Prefill/decode policy names (production spellings where production has one) -> factories. */
const factories = new Map<string, PdPolicyFactory>([
  // AIBrix gateway `pd` router
  ['pd', createAibrixPd],
  // SGLang router PD mode (--pd-disaggregation with --prefill-policy / --decode-policy)
  ['sglang-pd', createSglangPd],
  // llm-d pd-profile-handler + prefix-based-pd-decider (decode first)
  ['llm-d-pd', createLlmDPd],
  // routesim's own SLO-aware PD router (docs/pd.md): predicted TTFT for P, TPOT headroom for D
  ['slo-pd', createSloPd],
]);

export function knownPdPolicies(): string[] {
  return [...factories.keys()].sort();
}

export function hasPdPolicy(name: string): boolean {
  return factories.has(name);
}

/** Registers (or replaces) a PD policy factory under a name. */
export function registerPdPolicy(name: string, factory: PdPolicyFactory): void {
  if (!/^[A-Za-z0-9_.\-/]+$/.test(name)) {
    throw new RoutingConfigError(`invalid PD policy name "${name}": use letters, digits and _ . - /`, undefined, 'policy');
  }
  factories.set(name, factory);
}

/** Creates a PD policy by name; options are the policy's own (validated, RoutingConfigError). */
export function createPdPolicy(name: string, options: PolicyOptions = {}): PdRoutingPolicy {
  const factory = factories.get(name.trim());
  if (!factory) throw new UnknownPdPolicyError(name, knownPdPolicies());
  return withOptionCheck(name.trim(), options, factory);
}
