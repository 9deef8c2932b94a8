import type { PointResult } from '../experiment/run-point.js';
import { formatTable } from './table.js';

/**
 * For runs with prefill/decode disaggregation: where the time to first token went (means and
 * p99 of each part), transfer-time percentiles, utilization of prefill and decode GPUs, and SLO
 * attainment for TTFT and TPOT separately and together.
 */
export function formatPdTable(results: readonly PointResult[], label: (r: PointResult) => string): string | undefined {
  const rows = results.filter((r) => r.summary.pd !== null);
  if (rows.length === 0) return undefined;
  const pd = (r: PointResult) => r.summary.pd!;
  const pct = (x: number | null) => (x === null ? null : x * 100);
  return formatTable(rows, [
    { header: 'point', value: label },
    { header: 'router q', value: (r) => r.metrics.router_queue_ms.mean },
    { header: 'prefill q', value: (r) => pd(r).prefill_queue_ms.mean },
    { header: 'prefill', value: (r) => pd(r).prefill_compute_ms.mean },
    { header: 'KV wait', value: (r) => pd(r).kv_wait_ms.mean },
    { header: 'transfer', value: (r) => pd(r).transfer_ms.mean, digits: 2 },
    { header: 'decode wait', value: (r) => pd(r).decode_wait_ms.mean },
    { header: 'xfer p50', value: (r) => pd(r).transfer_ms.p50, digits: 2 },
    { header: 'xfer p99', value: (r) => pd(r).transfer_ms.p99, digits: 2 },
    { header: 'P util %', value: (r) => pct(r.summary.utilization_by_role.prefill ?? null) },
    { header: 'D util %', value: (r) => pct(r.summary.utilization_by_role.decode ?? null) },
    { header: 'TTFT ok %', value: (r) => pct(r.metrics.slo_attainment_ttft) },
    { header: 'TPOT ok %', value: (r) => pct(r.metrics.slo_attainment_tpot) },
    { header: 'both %', value: (r) => pct(r.metrics.slo_attainment) },
  ]);
}
