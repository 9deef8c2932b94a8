export type * from './types.js';
export type { RoutingPolicy, PolicyFactory, PolicyOptions } from './policy.js';
export { Gateway, type GatewayOptions, type RouterMode } from './gateway.js';
export { createPolicy, knownPolicies, registerPolicy, hasPolicy, UnknownPolicyError } from './registry.js';
export { pickMinRandomTie } from './pick.js';
