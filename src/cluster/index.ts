export { Cluster, type ClusterOptions, type InstanceSpec, type RouterSpec } from './cluster.js';
export { KvLink, type LinkSpec } from './kv-link.js';
export { InstanceEndpoint } from './endpoint.js';
export { SIGNALS, type RefreshIntervals, type Signal } from './metric-refresher.js';
export { DEFAULT_ASYNC_SCHEDULING, DEFAULT_FRONTEND, resolveFrontend, type FrontendLatency } from './frontend.js';
