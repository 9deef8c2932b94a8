export { Cluster, type ClusterOptions, type InstanceSpec } from './cluster.js';
export { InstanceEndpoint } from './endpoint.js';
export { SIGNALS, type RefreshIntervals, type Signal } from './metric-refresher.js';
