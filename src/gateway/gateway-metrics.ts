import { PrometheusWriter } from '../llm-http/index.js';
import type { LiveEndpoint } from './live-endpoint.js';
import type { RequestStats } from './request-stats.js';
import type { RouterCore } from './router-core.js';

/** The gateway's /metrics: endpoints as the router sees them, the router queue, request aggregates. */
export function gatewayMetricsText(endpoints: readonly LiveEndpoint[], core: RouterCore, stats: RequestStats, clock: () => number): string {
  const w = new PrometheusWriter();
  const per = (name: string, help: string, type: 'gauge' | 'counter', value: (e: LiveEndpoint) => number) => {
    w.family(name, type, help);
    for (const e of endpoints) w.sample(name, { endpoint: e.id, gpu: e.gpuType, role: e.role }, value(e));
  };
  per('routesim_gateway_endpoint_healthy', 'Whether the endpoint is in rotation.', 'gauge', (e) => (e.healthy ? 1 : 0));
  per('routesim_gateway_endpoint_inflight', 'Requests dispatched and not completed.', 'gauge', (e) => e.counters.inflight);
  per('routesim_gateway_endpoint_dispatched_total', 'Requests dispatched.', 'counter', (e) => e.counters.dispatched);
  per('routesim_gateway_endpoint_scrapes_total', 'Metric scrapes that succeeded.', 'counter', (e) => e.scrapes);
  per('routesim_gateway_endpoint_scrape_errors_total', 'Metric scrapes that failed.', 'counter', (e) => e.scrapeErrors);
  per('routesim_gateway_endpoint_running', 'Scraped running requests.', 'gauge', (e) => e.metrics.running);
  per('routesim_gateway_endpoint_waiting', 'Scraped waiting requests.', 'gauge', (e) => e.metrics.waiting);
  per('routesim_gateway_endpoint_kv_usage', 'Scraped KV cache usage, 0..1.', 'gauge', (e) => e.metrics.kvUsage);
  per('routesim_gateway_endpoint_prefix_cache_hit_rate', 'Prefix cache hit rate over the last window.', 'gauge', (e) => e.metrics.prefixCacheHitRate);
  per('routesim_gateway_endpoint_metrics_age_seconds', 'Seconds since the last scrape.', 'gauge', (e) => clock() - e.metrics.updatedAt);
  w.family('routesim_gateway_queued', 'gauge', 'Requests waiting in the router queue.').sample('routesim_gateway_queued', {}, core.queued);
  stats.write(w);
  return w.text();
}
