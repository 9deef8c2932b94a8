import type { PointResult } from '../experiment/run-point.js';
import { groupReplicates, meanCi, type MeanCi } from './replicates.js';

/**
 * One thing a sweep varies: one swept field, or several that vary together (a zip group, or
 * fields whose combinations do not form a full product). Each point has one value label in it.
 */
export interface Dimension {
  /** A short title for legends and facet headers. */
  title: string;
  keys: string[];
  kind: 'rate' | 'policy' | 'xpyd' | 'other';
  /** The distinct value labels, in sweep order. */
  values: string[];
}

/** One configuration as the plots see it: its replicates (one result per seed) and where it sits in the sweep. */
export interface PlotPoint {
  /** The first replicate (the only one without replicates). */
  result: PointResult;
  results: PointResult[];
  /** Offered request rate, when the sweep varies it. */
  rate?: number;
  /** Prefill and decode instance counts (xPyD). */
  prefill: number;
  decode: number;
  /** Its value label in each dimension, by dimension title. */
  at: Record<string, string>;
  /** The labels of every dimension: what tells this point from the others. */
  series: string;
  label: string;
}

/** What a sweep varies, read from its results; the report picks its plots from this. */
export interface SweepDimensions {
  points: PlotPoint[];
  dims: Dimension[];
  varies: { rate: boolean; policy: boolean; xpyd: boolean; cost: boolean; gpuTypes: boolean };
  /** Latencies against SLO targets are known (the experiment has an SLO). */
  hasSlo: boolean;
}

/** A swept key that sets a request rate: `rates:` (rate), workload.rate, or a source's rate. */
const RATE_PATH = /^(rate|workload\.rate|workload\.sources\[\d+\]\.rate)$/;
const FLEET_COUNT = /^fleet\[(\d+)\]\.count$/;
const COMPOSITION = /^fleet(\[\d+\]\.(count|gpu|tp|role))?$/;

export function sweepDimensions(results: readonly PointResult[]): SweepDimensions {
  const groups = groupReplicates(results);
  const firsts = groups.map((g) => g.results[0]);
  const text = (v: unknown) => JSON.stringify(v);
  const keys = [...new Set(groups.flatMap((g) => Object.keys(g.point)))];
  const distinct = (ks: string[]) => new Set(groups.map((g) => text(ks.map((k) => g.point[k])))).size;
  const varying = keys.filter((k) => distinct([k]) > 1);

  // Fields whose combinations fall short of their full product vary together: one dimension.
  const parent = varying.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  for (let i = 0; i < varying.length; i++)
    for (let j = i + 1; j < varying.length; j++) {
      if (distinct([varying[i], varying[j]]) < distinct([varying[i]]) * distinct([varying[j]])) parent[find(j)] = find(i);
    }
  const members = new Map<number, string[]>();
  varying.forEach((k, i) => members.set(find(i), [...(members.get(find(i)) ?? []), k]));

  const roles = (r: PointResult, role: string) => r.fleet.filter((f) => f.role === role).reduce((a, f) => a + f.count, 0);
  const policy = new Set(firsts.map((r) => r.policy)).size > 1;
  const xpyd = new Set(firsts.map((r) => roles(r, 'prefill'))).size > 1 && new Set(firsts.map((r) => roles(r, 'decode'))).size > 1;

  const dims: (Dimension & { label(r: PointResult, point: Record<string, unknown>): string })[] = [...members.values()].map((ks) => {
    const kind: Dimension['kind'] = ks.every((k) => RATE_PATH.test(k))
      ? 'rate'
      : ks.includes('router.policy')
        ? 'policy'
        : xpyd && ks.some((k) => FLEET_COUNT.test(k))
          ? 'xpyd'
          : 'other';
    const composition = ks.filter((k) => COMPOSITION.test(k));
    const rest = ks.filter((k) => !COMPOSITION.test(k));
    const label = (r: PointResult, point: Record<string, unknown>): string => {
      if (kind === 'rate') return `${ks.reduce((a, k) => a + Number(point[k] ?? 0), 0)} req/s`;
      const parts = [
        ...(composition.length > 0 ? [fleetLabel(r, composition)] : []),
        ...rest.map((k) => (k === 'router.policy' ? String(point[k]) : valueLabel(k, point[k], ks.length > 1))),
      ];
      return parts.filter(Boolean).join(' ') || '(default)';
    };
    const count = ks.length === 1 ? FLEET_COUNT.exec(ks[0]) : null;
    const entry = count ? firsts[0].fleet[Number(count[1])] : undefined;
    const title =
      kind === 'rate'
        ? 'rate'
        : kind === 'policy'
          ? 'policy'
          : entry
            ? `${entry.gpu}${entry.role === 'unified' ? '' : ` ${entry.role}`} instances`
            : composition.length > 0 && rest.length === 0
              ? 'fleet'
              : ks.map(shortKey).join(', ');
    return { title, keys: ks, kind, values: [], label };
  });
  // Titles name places in a point's labels: make them unique.
  for (const d of dims) if (dims.filter((e) => e.title === d.title).length > 1) d.title = d.keys.join(', ');
  // The policy varies without being swept by name (a mix, a module): still a dimension of its own.
  if (policy && !dims.some((d) => d.kind === 'policy') && varying.length === 0) {
    dims.push({ title: 'policy', keys: [], kind: 'policy', values: [], label: (r) => r.policy });
  }

  const points = groups.map((g): PlotPoint => {
    const r = g.results[0];
    const at = Object.fromEntries(dims.map((d) => [d.title, d.label(r, g.point)]));
    const rateDim = dims.find((d) => d.kind === 'rate');
    const labels = dims.map((d) => at[d.title]);
    return {
      result: r,
      results: g.results,
      rate: rateDim ? rateDim.keys.reduce((a, k) => a + Number(g.point[k] ?? 0), 0) : undefined,
      prefill: roles(r, 'prefill'),
      decode: roles(r, 'decode'),
      at,
      series: labels.join(' · ') || r.policy,
      label: labels.join(' · ') || r.policy,
    };
  });
  for (const d of dims) d.values = [...new Set(points.map((p) => p.at[d.title]))];
  const costs = new Set(firsts.map((r) => r.cost_per_hour));
  const tpotGpus = (r: PointResult) => Object.entries(r.summary.gpu_types).filter(([, g]) => Number.isFinite(g.tpot_ms.p99)).map(([k]) => k);
  return {
    points,
    dims: dims.map(({ label: _label, ...d }) => d),
    varies: {
      rate: dims.some((d) => d.kind === 'rate'),
      policy,
      xpyd,
      cost: costs.size > 1 && !costs.has(0),
      // Per-GPU latency means something when some run served requests' tokens on more than one GPU type.
      gpuTypes: firsts.some((r) => tpotGpus(r).length > 1) || new Set(firsts.map((r) => tpotGpus(r).join())).size > 1,
    },
    hasSlo: results.some((r) => r.metrics.slo_attainment !== null),
  };
}

/**
 * How a plot lays out the dimensions it does not put on an axis: one colour per value of the
 * first, one column of panels per value of the last, one row per value of the rest. Every point
 * lands in its own (panel, colour) place, so no mark mixes points of different configurations.
 * Null when that would take more colours or panels than can be read.
 */
export interface Layout {
  color?: Dimension;
  column?: Dimension;
  row?: Dimension[];
  /** Each point's colour, column and row labels. */
  place(p: PlotPoint): { series: string; column: string; row: string };
}

export function layout(dims: readonly Dimension[], onAxes: readonly Dimension[], limits = { colors: 10, panels: 18 }): Layout | null {
  const rest = dims.filter((d) => !onAxes.includes(d));
  // The policy is what a reader compares first; a rate reads well across panels.
  rest.sort((a, b) => rank(a) - rank(b));
  const color = rest[0];
  const column = rest.length >= 2 ? rest[rest.length - 1] : undefined;
  const row = rest.slice(1, -1);
  if (color && color.values.length > limits.colors) return null;
  const panels = (column?.values.length ?? 1) * row.reduce((a, d) => a * d.values.length, 1);
  if (panels > limits.panels) return null;
  return {
    color,
    column,
    row,
    place: (p) => ({
      series: color ? p.at[color.title] : p.result.policy,
      column: column ? p.at[column.title] : '',
      row: row.map((d) => p.at[d.title]).join(' · '),
    }),
  };
}

function rank(d: Dimension): number {
  return d.kind === 'policy' ? 0 : d.kind === 'rate' ? 2 : 1;
}

/** A metric over a point's replicates. */
export function stat(p: PlotPoint, get: (r: PointResult) => number | null | undefined): MeanCi | null {
  return meanCi(p.results.map(get));
}

function fleetLabel(r: PointResult, keys: string[]): string {
  const idx = new Set(keys.map((k) => /^fleet\[(\d+)\]/.exec(k)?.[1]).filter((x): x is string => x !== undefined).map(Number));
  const entries = keys.includes('fleet') || idx.size === 0 ? r.fleet : r.fleet.filter((_, i) => idx.has(i));
  return entries.map((f) => `${f.count}×${f.gpu}${f.tp > 1 ? `(tp${f.tp})` : ''}${f.role === 'unified' ? '' : ` ${f.role}`}`).join('+');
}

/** "workload.sources[0].rate" → "sources[0].rate": the last parts are what a reader needs. */
function shortKey(k: string): string {
  return k.split('.').slice(-2).join('.');
}

/** A swept value as a reader wants it: `{}` says nothing, a mapping shows its leaf values. */
function valueLabel(k: string, v: unknown, beside: boolean): string {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const leaves = flatten(v as Record<string, unknown>);
    // Top-level options by value alone ("power_of_two/cache_aware": their names made legends too
    // long to read); nested ones keep their last key, which says what the value is for ("bird:L20").
    const top = leaves.filter(([lk]) => !lk.includes('.')).map(([, lv]) => lv);
    const nested = leaves.filter(([lk]) => lk.includes('.')).map(([lk, lv]) => `${lk.split('.').pop()}:${lv}`);
    return [...(top.length > 0 ? [top.join('/')] : []), ...nested].join(' ');
  }
  const s = Array.isArray(v) ? v.join(',') : String(v);
  return beside || typeof v !== 'string' ? `${shortKey(k)}=${s}` : s;
}

function flatten(o: Record<string, unknown>, prefix = ''): [string, string][] {
  return Object.entries(o).flatMap(([k, v]) =>
    v && typeof v === 'object' && !Array.isArray(v) ? flatten(v as Record<string, unknown>, `${prefix}${k}.`) : [[`${prefix}${k}`, String(v)] as [string, string]],
  );
}
