import type { PointResult } from '../experiment/run-point.js';
import { formatTable, type Column } from './table.js';

const pct = (x: number | null) => (x === null ? null : x * 100);

/** The table `sim run` prints: one row per point, latency percentiles in ms, attainment in %. */
export function formatRunTable(results: readonly PointResult[]): string {
  const swept = [...new Set(results.flatMap((r) => Object.keys(r.point)))];
  const columns: Column<PointResult>[] = [
    ...(swept.length > 0
      ? swept.map((k) => ({ header: columnName(k, swept), value: (r: PointResult) => fmt(r.point[k]) }))
      : [{ header: 'policy', value: (r: PointResult) => r.policy }]),
    { header: 'done', value: (r) => r.completed, digits: 0 },
    { header: 'rej', value: (r) => r.rejected, digits: 0 },
    { header: 'TTFT p50', value: (r) => r.metrics.ttft_ms.p50, digits: 0 },
    { header: 'TTFT p99', value: (r) => r.metrics.ttft_ms.p99, digits: 0 },
    { header: 'TPOT p50', value: (r) => r.metrics.tpot_ms.p50 },
    { header: 'TPOT p99', value: (r) => r.metrics.tpot_ms.p99 },
    { header: 'E2E p50', value: (r) => r.metrics.e2e_ms.p50, digits: 0 },
    { header: 'E2E p99', value: (r) => r.metrics.e2e_ms.p99, digits: 0 },
    { header: 'req/s', value: (r) => r.metrics.throughput_rps, digits: 2 },
    { header: 'tok/s', value: (r) => r.metrics.output_tokens_per_s, digits: 0 },
    { header: 'SLO %', value: (r) => pct(r.metrics.slo_attainment) },
    { header: 'goodput', value: (r) => r.metrics.goodput_rps, digits: 2 },
  ];
  return formatTable(results, columns);
}

/** Per point, which GPU type served how many requests of each workload class. */
export function formatServedTable(results: readonly PointResult[]): string {
  const rows: { label: string; gpu: string; counts: Record<string, number>; util: number }[] = [];
  for (const r of results) {
    const label = Object.keys(r.point).length > 0 ? Object.values(r.point).map(fmt).join(' ') : r.policy;
    for (const [gpu, g] of Object.entries(r.summary.gpu_types)) {
      const members = r.summary.instances.filter((i) => i.gpu === gpu);
      const util = members.reduce((a, i) => a + i.utilization, 0) / Math.max(1, members.length);
      rows.push({ label, gpu, counts: g.served_by_class, util });
    }
  }
  const classes = [...new Set(rows.flatMap((r) => Object.keys(r.counts)))];
  return formatTable(rows, [
    { header: 'point', value: (r) => r.label },
    { header: 'gpu', value: (r) => r.gpu },
    ...classes.map((c) => ({ header: c, value: (r: (typeof rows)[number]) => r.counts[c] ?? 0, digits: 0 })),
    { header: 'util %', value: (r) => r.util * 100 },
  ]);
}

function fmt(v: unknown): string {
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** The shortest tail of a field path that tells it apart from the other swept paths ("count" or "fleet[1].count"). */
function columnName(path: string, all: readonly string[]): string {
  const parts = path.split('.');
  // A deep path keeps its parent ("refreshMs.default"): the last part alone says too little.
  for (let n = parts.length >= 3 ? 2 : 1; n < parts.length; n++) {
    const tail = parts.slice(-n).join('.');
    if (all.every((o) => o === path || !(o === tail || o.endsWith(`.${tail}`)))) return tail;
  }
  return path;
}
