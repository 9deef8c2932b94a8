/** The live gateway: routing-library policies in front of real (or served-simulated) engines over HTTP. */
export { startGateway, refreshIntervals, type GatewayOptions, type GatewayHandle } from './server.js';
export { gatewayConfigSchema, type GatewayConfig, type EndpointConfig } from './config.js';
export { RouterCore, type CoreRouter, type CoreCall, type CoreOutcome, type ViewSnapshot } from './router-core.js';
export { readDecisionLog, type DecisionLogHeader } from './decision-log.js';
export { replayDecisions, type ReplayMismatch } from './replay.js';
export { LiveEndpoint, type LiveMetrics } from './live-endpoint.js';
export { readEngineSnapshot, type EngineSnapshot } from './engine-snapshot.js';
