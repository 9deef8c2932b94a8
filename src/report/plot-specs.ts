/**
 * Vega-Lite specs of the report's plots. Each takes the points it plots and returns a spec with
 * its data inlined, so a spec alone renders the figure.
 */
import type { PlotPoint } from './sweep-dimensions.js';

export type Spec = Record<string, unknown>;

const WIDTH = 440;
const HEIGHT = 260;
const FACET_WIDTH = 220;

// Titles live in the report's headings, so the SVGs drop straight into a paper.
const base = (_title: string, data: unknown[]): Spec => ({
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  data: { values: data },
  config: { font: 'Helvetica, Arial, sans-serif', view: { stroke: '#ddd' }, legend: { labelLimit: 420 } },
  background: 'white',
  padding: 8,
});

const seriesColor = { field: 'series', type: 'nominal', title: null, sort: null };
const pct = (x: number | null) => (x === null ? null : Math.round(x * 1e5) / 1e3);

/** SLO attainment (share of requests meeting every target) against offered rate, one line per series. */
export function attainmentVsRate(points: readonly PlotPoint[]): Spec {
  const data = points
    .filter((p) => p.result.metrics.slo_attainment !== null)
    .map((p) => ({ series: p.series, rate: p.rate, attainment: pct(p.result.metrics.slo_attainment) }));
  return {
    ...base('SLO attainment vs request rate', data),
    width: WIDTH,
    height: HEIGHT,
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'rate', type: 'quantitative', title: 'Request rate (req/s)', scale: { zero: false } },
      y: { field: 'attainment', type: 'quantitative', title: 'SLO attainment (%)', scale: { domain: [0, 100] } },
      color: seriesColor,
    },
  };
}

/** SLO attainment of each point, when the sweep does not vary the rate. */
export function attainmentPerPoint(points: readonly PlotPoint[]): Spec {
  const data = points
    .filter((p) => p.result.metrics.slo_attainment !== null)
    .map((p) => ({ series: p.series, point: p.label, attainment: pct(p.result.metrics.slo_attainment) }));
  return {
    ...base('SLO attainment per point', data),
    width: WIDTH,
    height: Math.max(60, 22 * data.length),
    mark: 'bar',
    encoding: {
      y: { field: 'point', type: 'nominal', title: null, sort: null, axis: { labelLimit: 260 } },
      x: { field: 'attainment', type: 'quantitative', title: 'SLO attainment (%)', scale: { domain: [0, 100] } },
      color: seriesColor,
    },
  };
}

/**
 * CDF of TTFT or TPOT from each point's 101 stored quantiles, one line per series, one panel per
 * rate when the sweep varies it. A log axis when the values span more than a factor of 20, so the body and the tail both show.
 */
export function latencyCdf(points: readonly PlotPoint[], metric: 'ttft' | 'tpot' | 'tpat'): Spec {
  const data = points.flatMap((p) => {
    const q = p.result.summary.cdf?.[`${metric}_ms`] ?? [];
    return q.map((v, i) => ({ series: p.series, id: p.result.id, rate: p.rate, ms: v, share: i / (q.length - 1) }));
  });
  const positive = data.map((d) => d.ms).filter((v) => v > 0);
  const log = positive.length > 0 && Math.max(...positive) / Math.min(...positive) > 20;
  const faceted = points.some((p) => p.rate !== undefined);
  // tpat: AIBrix's "latency per token", E2E / (prompt + output), as in its SLO-routing CDF figure.
  const name = metric === 'ttft' ? 'TTFT' : metric === 'tpot' ? 'TPOT' : 'Latency per token';
  const layer = {
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: {
        field: 'ms',
        type: 'quantitative',
        title: `${name} (ms${log ? ', log scale' : ''})`,
        scale: log ? { type: 'log', nice: false } : { zero: true },
      },
      y: { field: 'share', type: 'quantitative', title: 'Share of requests', axis: { format: '%' } },
      color: seriesColor,
      detail: { field: 'id', type: 'nominal' },
    },
  };
  const values = log ? data.filter((d) => d.ms > 0) : data;
  if (!faceted) return { ...base(`${name} CDF`, values), width: WIDTH, height: HEIGHT, ...layer };
  return {
    ...base(`${name} CDF per request rate`, values),
    facet: { field: 'rate', type: 'ordinal', title: 'Request rate (req/s)' },
    columns: 3,
    spec: { width: FACET_WIDTH, height: 180, ...layer },
  };
}

/** P99 TPOT on each GPU type, bars grouped by series, one panel per rate when the sweep varies it. */
export function tpotP99PerGpu(points: readonly PlotPoint[]): Spec {
  const data = points.flatMap((p) =>
    Object.entries(p.result.summary.gpu_types)
      .filter(([, g]) => Number.isFinite(g.tpot_ms.p99))
      .map(([gpu, g]) => ({ series: p.series, gpu, rate: p.rate, p99: g.tpot_ms.p99 })),
  );
  const faceted = points.some((p) => p.rate !== undefined);
  const layer = {
    mark: 'bar',
    encoding: {
      x: { field: 'gpu', type: 'nominal', title: 'GPU type' },
      xOffset: seriesColor,
      y: { field: 'p99', type: 'quantitative', title: 'P99 TPOT (ms)' },
      color: seriesColor,
    },
  };
  if (!faceted) return { ...base('P99 TPOT per GPU type', data), width: WIDTH, height: HEIGHT, ...layer };
  return {
    ...base('P99 TPOT per GPU type and request rate', data),
    facet: { field: 'rate', type: 'ordinal', title: 'Request rate (req/s)' },
    columns: 3,
    spec: { width: FACET_WIDTH, height: 180, ...layer },
  };
}

/**
 * Prefill count × decode count, coloured by SLO attainment (goodput without an SLO), one panel
 * per series and rate.
 */
export function xpydHeatmap(points: readonly PlotPoint[], hasSlo: boolean): Spec {
  const value = (p: PlotPoint) => (hasSlo ? pct(p.result.metrics.slo_attainment) : Math.round(p.result.metrics.throughput_rps * 100) / 100);
  const data = points.map((p) => ({
    panel: [p.series, p.rate !== undefined ? `${p.rate} req/s` : ''].filter(Boolean).join(' · '),
    prefill: p.prefill,
    decode: p.decode,
    value: value(p),
  }));
  const title = hasSlo ? 'SLO attainment (%)' : 'Throughput (req/s)';
  return {
    ...base(`xPyD: ${title} by prefill and decode instances`, data),
    facet: { field: 'panel', type: 'nominal', title: null, sort: null },
    columns: 3,
    spec: {
      width: 180,
      height: 160,
      encoding: {
        x: { field: 'prefill', type: 'ordinal', title: 'Prefill instances (x)' },
        y: { field: 'decode', type: 'ordinal', title: 'Decode instances (y)', sort: 'descending' },
      },
      layer: [
        {
          mark: 'rect',
          encoding: {
            color: { field: 'value', type: 'quantitative', title, scale: hasSlo ? { domain: [0, 100], scheme: 'viridis' } : { scheme: 'viridis' } },
          },
        },
        { mark: { type: 'text', fontSize: 10 }, encoding: { text: { field: 'value', type: 'quantitative', format: '.3~r' }, color: { value: 'white' } } },
      ],
    },
  };
}

/** Fleet cost per hour against SLO attainment: which fleets buy how much attainment. */
export function costVsAttainment(points: readonly PlotPoint[]): Spec {
  const data = points
    .filter((p) => p.result.metrics.slo_attainment !== null)
    .map((p) => ({ series: p.series, point: p.label, cost: p.result.cost_per_hour, attainment: pct(p.result.metrics.slo_attainment) }));
  return {
    ...base('Cost vs SLO attainment', data),
    width: WIDTH,
    height: HEIGHT,
    mark: { type: 'point', filled: true, size: 70 },
    encoding: {
      x: { field: 'cost', type: 'quantitative', title: 'Fleet cost ($/hour)', scale: { zero: false } },
      y: { field: 'attainment', type: 'quantitative', title: 'SLO attainment (%)', scale: { domain: [0, 100] } },
      color: seriesColor,
    },
  };
}

/** A fleet on the cost/rate plane (`sim plan`): its cost, the rate it sustains, and how that rate was found. */
export interface CostRatePoint {
  label: string;
  cost: number;
  rate: number;
  /** "simulated whole" or "estimated from blocks". */
  basis: string;
  shape: string;
  pareto: boolean;
}

/**
 * Fleet cost against the largest rate it sustains under the SLOs: every fleet a point, the
 * Pareto frontier (no cheaper fleet sustains more) as a step line, each target rate a dashed rule.
 */
export function costVsSustainableRate(points: readonly CostRatePoint[], targets: readonly number[], costTitle: string): Spec {
  const frontier = points.filter((p) => p.pareto).sort((a, b) => a.cost - b.cost);
  const x = { field: 'cost', type: 'quantitative', title: costTitle, scale: { zero: false } };
  const y = { field: 'rate', type: 'quantitative', title: 'Sustainable rate (req/s)' };
  return {
    ...base('Cost vs sustainable rate', []),
    width: WIDTH,
    height: HEIGHT,
    layer: [
      {
        data: { values: targets.map((t) => ({ rate: t })) },
        mark: { type: 'rule', strokeDash: [4, 4], color: '#888' },
        encoding: { y },
      },
      {
        data: { values: frontier },
        mark: { type: 'line', interpolate: 'step-after', color: '#444', strokeWidth: 1 },
        encoding: { x, y },
      },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 60, opacity: 0.85 },
        encoding: {
          x,
          y,
          color: { field: 'basis', type: 'nominal', title: null, sort: null },
          shape: { field: 'shape', type: 'nominal', title: null },
          tooltip: [{ field: 'label' }, { field: 'cost' }, { field: 'rate' }],
        },
      },
    ],
  };
}
