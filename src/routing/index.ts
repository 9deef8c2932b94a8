/**
 * routesim/routing: the routing library a gateway could ship. It imports nothing from the rest of
 * the project; time and randomness come from the RoutingContext.
 */
export type * from './types.js';
export type {
  RoutingPolicy,
  ScoringPolicy,
  Polarity,
  RouterQueue,
  QueueDecision,
  PolicyFactory,
  PolicyOptions,
} from './policy.js';
export { isScoringPolicy } from './policy.js';
export { Gateway, defaultHasCapacity, type GatewayOptions, type RouterMode, type PullCapacity } from './gateway.js';
export { createPolicy, knownPolicies, registerPolicy, hasPolicy } from './registry.js';
export { parseStrategy, isExclusiveStrategy, normalizeInPlace, createMultiStrategy, type StrategyItem } from './multi-strategy.js';
export { loadPolicyModule } from './module-loader.js';
export {
  RoutingError,
  RoutingConfigError,
  UnknownPolicyError,
  StrategyFormatError,
  UnknownOptionError,
  ProfileFormatError,
  PolicyModuleError,
  PolicyRuntimeError,
  UnknownPdPolicyError,
  PdFleetError,
} from './errors.js';
export {
  parseAibrixProfile,
  serializeAibrixProfile,
  profileIssues,
  isLoadableByAibrix,
  chosenSlo,
  nearestTick,
  ProfileTable,
  ProfileSet,
  type AibrixProfile,
  type AibrixSlos,
} from './profiles.js';
export { SimpleOutputPredictor, type OutputPredictorOptions } from './predictor.js';
export {
  PendingLoad,
  consumptionOf,
  CONSUMPTION_ERROR,
  CONSUMPTION_SLO_FAILURE,
  type PendingLoadOptions,
} from './pending-load.js';
export { SloQueue, keyOf as sloQueueKey, type SloSubRouter } from './slo-queue.js';
export { pickMinRandomTie, pickMaxRandomTie, pickRandom } from './pick.js';
export { InflightIndex } from './inflight-index.js';
export type { FleetIndex } from './fleet-index.js';

// Prefill/decode disaggregation: PD policies and the PD gateway.
export { type PdRoutingPolicy, type PdPair, type PdPolicyFactory, type PdEndpoints, splitPdEndpoints, rolesetOf } from './pd/policy.js';
export { createPdPolicy, knownPdPolicies, registerPdPolicy, hasPdPolicy } from './pd/registry.js';
export { type SloPdProfile } from './pd/slo-pd.js';
export {
  PdGateway,
  defaultPrefillCapacity,
  defaultDecodeHeadroom,
  bootstrapRoomOf,
  type PdGatewayOptions,
  type PdDispatchInfo,
} from './pd/gateway.js';
// Data-parallel rank dispatch inside one instance (SGLang DataParallelController).
export {
  createDpDispatcher,
  knownDpMethods,
  type DpDispatcher,
  type DpMethod,
  type DpRankView,
  type DpRequestView,
} from './dp/dispatch.js';
