import type { PointResult } from '../experiment/run-point.js';
import { findMetric, REJECTION_KINDS, type RejectionKind } from '../metrics/index.js';
import { formatTable, type Column } from './table.js';

const pct = (x: number | null) => (x === null ? null : x * 100);

/** A catalog metric's value, for a table column. */
function get(name: string): (r: PointResult) => number | null {
  const m = findMetric(name);
  if (!m) throw new Error(`no metric "${name}" in the catalog`);
  return (r) => m.get(r);
}

/** The table `sim run` prints: one row per point, latency percentiles in ms, attainment in %. */
export function formatRunTable(results: readonly PointResult[]): string {
  const swept = [...new Set(results.flatMap((r) => Object.keys(r.point)))];
  const columns: Column<PointResult>[] = [
    ...(swept.length > 0
      ? swept.map((k) => ({ header: columnName(k, swept), value: (r: PointResult) => fmt(r.point[k]) }))
      : [{ header: 'policy', value: (r: PointResult) => r.policy }]),
    { header: 'done', value: get('completed'), digits: 0 },
    { header: 'rej', value: get('rejected'), digits: 0 },
    ...rejectionColumns(results),
    { header: 'TTFT med', value: get('ttft_median_ms'), digits: 0 },
    { header: 'TTFT p99', value: get('ttft_p99_ms'), digits: 0 },
    { header: 'TPOT med', value: get('tpot_median_ms') },
    { header: 'TPOT p99', value: get('tpot_p99_ms') },
    { header: 'ITL p99', value: get('itl_p99_ms') },
    { header: 'E2E med', value: get('e2e_median_ms'), digits: 0 },
    { header: 'E2E p99', value: get('e2e_p99_ms'), digits: 0 },
    // AIBrix's per-token latency E2E / (prompt + output), once some point targets it.
    ...(results.some((r) => r.summary.slo?.targets_ms.tpat !== undefined)
      ? ([{ header: 'TPAT p99', value: get('tpat_p99_ms'), digits: 2 }] as Column<PointResult>[])
      : []),
    // Queueing at the router and at the instance, separately, once some point queues at the router.
    ...(results.some((r) => r.metrics.router_queue_ms.p99 > 0)
      ? ([
          { header: 'router q p99', value: get('router_queue_p99_ms'), digits: 0 },
          { header: 'inst q p99', value: get('instance_queue_p99_ms'), digits: 0 },
        ] as Column<PointResult>[])
      : []),
    { header: 'req/s', value: get('throughput_rps'), digits: 2 },
    { header: 'tok/s', value: get('output_tokens_per_s'), digits: 0 },
    { header: 'SLO %', value: (r) => pct(get('slo_attainment')(r)) },
    { header: 'goodput', value: get('goodput_rps'), digits: 2 },
  ];
  return formatTable(results, columns);
}

/** Short headers of the rejection kinds, for tables. */
export const REJECTION_HEADERS: Record<RejectionKind, string> = {
  'slo-infeasible': 'rej SLO',
  'timed-out': 'rej timeout',
  'never-dispatchable': 'rej never',
  'too-long': 'rej long',
  other: 'rej other',
};

/** One column per rejection kind that some point has (none when nothing was rejected). */
export function rejectionColumns(results: readonly PointResult[]): Column<PointResult>[] {
  const count = (r: PointResult, k: RejectionKind) => r.summary.rejections_by_kind?.[k] ?? 0;
  return REJECTION_KINDS.filter((k) => results.some((r) => count(r, k) > 0)).map((k) => ({
    header: REJECTION_HEADERS[k],
    value: (r: PointResult) => count(r, k),
    digits: 0,
  }));
}

/** A point's name in tables: its swept values, or its policy when nothing is swept. */
export function pointLabel(r: PointResult): string {
  return Object.keys(r.point).length > 0 ? Object.values(r.point).map(fmt).join(' ') : r.policy;
}

/**
 * Per point, which GPU type (and role) served how many requests of each workload class, with
 * utilization; in disaggregated fleets the prefill rows count the prompts they computed.
 */
export function formatServedTable(results: readonly PointResult[]): string {
  type Row = { label: string; gpu: string; role: string; counts: Record<string, number>; prefills: number; util: number };
  const rows: Row[] = [];
  for (const r of results) {
    const groups = new Map<string, Row & { n: number }>();
    for (const i of r.summary.instances) {
      const key = `${i.gpu}/${i.role}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { label: pointLabel(r), gpu: i.gpu, role: i.role, counts: {}, prefills: 0, util: 0, n: 0 }));
      for (const [c, n] of Object.entries(i.served_by_class)) g.counts[c] = (g.counts[c] ?? 0) + n;
      g.prefills += i.prefills;
      g.util += i.utilization;
      g.n++;
    }
    for (const g of [...groups.values()].sort((a, b) => (a.gpu + a.role < b.gpu + b.role ? -1 : 1))) rows.push({ ...g, util: g.util / g.n });
  }
  const classes = [...new Set(rows.flatMap((r) => Object.keys(r.counts)))];
  const pd = rows.some((r) => r.role !== 'unified');
  return formatTable(rows, [
    { header: 'point', value: (r) => r.label },
    { header: 'gpu', value: (r) => r.gpu },
    ...(pd ? [{ header: 'role', value: (r: Row) => r.role }, { header: 'prefills', value: (r: Row) => r.prefills, digits: 0 }] : []),
    ...classes.map((c) => ({ header: c, value: (r: Row) => r.counts[c] ?? 0, digits: 0 })),
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
