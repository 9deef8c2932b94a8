import type { InflightIndex } from './inflight-index.js';
import type { EndpointView } from './types.js';

/**
 * What a gateway over a fixed endpoint list keeps up to date so policies can choose without
 * scanning the list per request (`RoutingPolicy.selectIndexed`).
 */
export interface FleetIndex {
  readonly endpoints: readonly EndpointView[];
  /** The endpoints by gateway in-flight count. */
  readonly inflight: InflightIndex;
  /**
   * Changes whenever the host has refreshed the endpoints' metric snapshots, which change at no
   * other time: scores computed from metrics alone stay valid while it holds.
   */
  readonly metricsEpoch: number;
}
