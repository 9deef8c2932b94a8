/**
 * Vega-Lite specs of the report's plots. Each takes the points it plots and returns a spec with
 * its data inlined, so a spec alone renders the figure.
 */
import { classMetrics, latencyFamily, metric, PD_PARTS, statOf, unitAxis, type MetricDef } from '../metrics/index.js';
import { meanCi, type MeanCi } from './replicates.js';
import { stat, type Dimension, type Layout, type PlotPoint } from './sweep-dimensions.js';

export type Spec = Record<string, unknown>;

const WIDTH = 440;
const HEIGHT = 260;
const FACET_WIDTH = 220;
/** A point's label names every swept value; cut short, two rows can read the same (0 = no limit). */
const POINT_AXIS = { labelLimit: 0 };

// Titles live in the report's headings, so the SVGs drop straight into a paper.
const base = (_title: string, data: unknown[]): Spec => ({
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  data: { values: data },
  config: { font: 'Helvetica, Arial, sans-serif', view: { stroke: '#ddd' }, legend: { labelLimit: 420 } },
  background: 'white',
  padding: 8,
});

const seriesColor = { field: 'series', type: 'nominal', title: null, sort: null };
const pct = (x: number | null | undefined) => (x === null || x === undefined ? null : Math.round(x * 1e5) / 1e3);
const round = (x: number) => Math.round(x * 1000) / 1000;

/** A value over replicates as plot fields: the mean, and the 95% CI's ends when there are several. */
function withCi(m: MeanCi | null, k = 1): { value: number | null; lo?: number; hi?: number } {
  if (!m) return { value: null };
  return m.n > 1 ? { value: round(m.mean * k), lo: round((m.mean - m.half) * k), hi: round((m.mean + m.half) * k) } : { value: round(m.mean * k) };
}

/** Error bars for the rows that have a CI (replicates), drawn over the layer's marks. */
function ciLayer(x: Spec | null, y: Spec | null): Spec {
  const ends = (enc: Spec) => ({ ...enc, field: 'lo' });
  return {
    transform: [{ filter: 'isValid(datum.lo)' }],
    mark: { type: 'errorbar', ticks: true },
    encoding: {
      ...(x && { x }),
      ...(y && { y }),
      ...(y && y.field === 'value' ? { y: ends(y), y2: { field: 'hi' } } : {}),
      ...(x && x.field === 'value' ? { x: ends(x), x2: { field: 'hi' } } : {}),
    },
  };
}

/** A dashed rule at an SLO target, on the x or y axis. */
function targetRule(axis: 'x' | 'y', target: number | undefined, enc: Spec): Spec[] {
  if (target === undefined) return [];
  return [
    {
      data: { values: [{ target, hover: `SLO target: ${target} ms` }] },
      mark: { type: 'rule', strokeDash: [5, 4], color: '#c33' },
      encoding: { [axis]: { ...enc, field: 'target' }, description: { field: 'hover' } },
    },
  ];
}

/** The layers as one view, or in panels by the layout's column and row dimensions. */
function panels(lay: Layout, view: Spec, width = WIDTH, height = HEIGHT): Spec {
  const col = lay.column;
  const row = lay.row && lay.row.length > 0 ? lay.row : undefined;
  if (!col && !row) return { width, height, ...view };
  if (!row && col) {
    return {
      facet: { field: 'column', type: 'nominal', title: col.title, sort: col.values },
      columns: 3,
      spec: { width: FACET_WIDTH, height: 170, ...view },
    };
  }
  return {
    facet: {
      ...(col && { column: { field: 'column', type: 'nominal', title: col.title, sort: col.values } }),
      ...(row && { row: { field: 'row', type: 'nominal', title: row.map((d) => d.title).join(' · '), sort: rowOrder(row) } }),
    },
    spec: { width: FACET_WIDTH, height: 170, ...view },
    resolve: { axis: { x: 'independent' } },
  };
}

/** The row labels of panels in sweep order (vega-lite would sort them alphabetically). */
function rowOrder(row: readonly Dimension[]): string[] {
  return row.reduce<string[]>((acc, d) => acc.flatMap((a) => d.values.map((v) => (a === '' ? v : `${a} · ${v}`))), ['']);
}

/** An axis title from the catalog: "P99 TTFT (ms, log scale)", "SLO attainment (%)". */
export function axisTitle(m: Pick<MetricDef, 'label' | 'unit'>, log = false): string {
  const unit = [unitAxis(m.unit).text, log ? 'log scale' : ''].filter((x) => x !== '').join(', ');
  return unit ? `${m.label} (${unit})` : m.label;
}

/** Whether the catalog asks for a log axis and these values (with any target) span decades. */
function logAxis(m: MetricDef, values: readonly (number | null | undefined)[]): boolean {
  return m.log === 'auto' && spansDecades(values);
}

/** A share metric's axis runs 0..100 %; others start where the data does. */
const shareDomain = (m: MetricDef) => (m.unit === 'share' ? { domain: [0, 100] } : { zero: false });

/** The metric over a point's replicates, in axis units. */
const valueOf = (p: PlotPoint, m: MetricDef) => withCi(stat(p, (r) => m.get(r)), unitAxis(m.unit).factor);

/** True when the positive values span more than a factor of 20: a log axis shows body and tail. */
function spansDecades(values: readonly (number | null | undefined)[]): boolean {
  const v = values.filter((x): x is number => typeof x === 'number' && x > 0);
  return v.length > 1 && Math.max(...v) / Math.min(...v) > 20;
}

/** SLO attainment (rejected requests count as misses) against offered rate, one line per colour. */
export function attainmentVsRate(points: readonly PlotPoint[], lay: Layout, m: MetricDef = metric('slo_attainment')): Spec {
  const data = points.filter((p) => m.get(p.result) !== null).map((p) => ({ ...lay.place(p), rate: p.rate, ...valueOf(p, m) }));
  const x = { field: 'rate', type: 'quantitative', title: 'Request rate (req/s)', scale: { zero: false } };
  const y = { field: 'value', type: 'quantitative', title: axisTitle(m), scale: shareDomain(m) };
  return {
    ...base(`${m.label} vs request rate`, data),
    ...panels(lay, {
      encoding: { x, color: seriesColor },
      layer: [{ mark: { type: 'line', point: true }, encoding: { y } }, ciLayer(null, y)],
    }),
  };
}

/** SLO attainment of each point, when the sweep does not vary the rate. */
export function attainmentPerPoint(points: readonly PlotPoint[], lay: Layout, m: MetricDef = metric('slo_attainment')): Spec {
  const data = points.filter((p) => m.get(p.result) !== null).map((p) => ({ ...lay.place(p), point: p.label, ...valueOf(p, m) }));
  const x = { field: 'value', type: 'quantitative', title: axisTitle(m), scale: shareDomain(m) };
  const y = { field: 'point', type: 'nominal', title: null, sort: null, axis: POINT_AXIS };
  return {
    ...base(`${m.label} per point`, data),
    width: WIDTH,
    height: Math.max(60, 22 * data.length),
    encoding: { y },
    layer: [{ mark: 'bar', encoding: { x, color: seriesColor } }, ciLayer(x, null)],
  };
}

/**
 * CDF of TTFT, TPOT or latency per token from each point's 101 stored quantiles (averaged over
 * replicates), one line per colour, panels by the other dimensions; a log axis when the values
 * span decades; the SLO target as a dashed rule.
 */
export function latencyCdf(points: readonly PlotPoint[], metric: 'ttft' | 'tpot' | 'tpat', lay: Layout, target?: number): Spec {
  const data = points.flatMap((p) => {
    const qs = p.results.map((r) => r.summary.cdf?.[`${metric}_ms`] ?? []).filter((q) => q.length > 0);
    if (qs.length === 0) return [];
    const q = qs[0].map((_, i) => qs.reduce((a, x) => a + x[i], 0) / qs.length);
    return q.map((v, i) => ({ ...lay.place(p), ms: round(v), share: i / (q.length - 1) }));
  });
  const log = spansDecades(data.map((d) => d.ms));
  const name = latencyFamily(metric).label;
  const x = { type: 'quantitative', title: axisTitle({ label: name, unit: 'ms' }, log), scale: log ? { type: 'log', nice: false } : { zero: true } };
  const values = log ? data.filter((d) => d.ms > 0) : data;
  return {
    ...base(`${name} CDF`, values),
    ...panels(lay, {
      layer: [
        {
          mark: { type: 'line', interpolate: 'step-after' },
          encoding: {
            x: { ...x, field: 'ms' },
            y: { field: 'share', type: 'quantitative', title: 'Share of requests', axis: { format: '%' } },
            color: seriesColor,
          },
        },
        ...targetRule('x', target, x),
      ],
    }),
  };
}

/**
 * Rolling P99 TTFT over the run (the timeline's windows by arrival time, placed at their centres),
 * one line per colour (replicates averaged per window), the TTFT target as a rule. Windows where
 * nothing completed leave a gap rather than a zero.
 */
export function latencyOverTime(points: readonly PlotPoint[], lay: Layout, target?: number, m: MetricDef = metric('ttft_p99_ms')): Spec {
  const data = points.flatMap((p) => {
    const tls = p.results.map((r) => r.timeline).filter((t) => t !== undefined);
    if (tls.length === 0) return [];
    const w = tls[0].step_s ?? tls[0].window_s;
    return tls[0].ttft_p99_ms.map((_, i) => {
      const m = meanCi(tls.map((t) => t.ttft_p99_ms[i]));
      return { ...lay.place(p), t: round((i + 0.5) * w), value: m ? round(m.mean) : null };
    });
  });
  const log = logAxis(m, [...data.map((d) => d.value), target]);
  const y = { type: 'quantitative', title: axisTitle(m, log), ...(log && { scale: { type: 'log' } }) };
  return {
    ...base(`${m.label} over time`, data),
    ...panels(lay, {
      layer: [
        {
          mark: { type: 'line', point: false },
          encoding: {
            x: { field: 't', type: 'quantitative', title: 'Arrival time (s)' },
            y: { ...y, field: 'value' },
            color: seriesColor,
          },
        },
        ...targetRule('y', target, y),
      ],
    }),
  };
}

/** P99 TPOT of the requests each GPU type served, bars side by side per colour; the TPOT target as a rule. */
export function tpotP99PerGpu(points: readonly PlotPoint[], lay: Layout, target?: number, metricDef: MetricDef = metric('tpot_p99_ms')): Spec {
  const of = metricDef.of!;
  const field = of.field as 'ttft_ms' | 'tpot_ms';
  const gpus = [...new Set(points.flatMap((p) => Object.keys(p.result.summary.gpu_types)))].sort();
  const data = points.flatMap((p) =>
    gpus.flatMap((gpu) => {
      const m = stat(p, (r) => statOf(r.summary.gpu_types[gpu]?.[field], of.stat));
      return m ? [{ ...lay.place(p), gpu, ...withCi(m) }] : [];
    }),
  );
  // A log axis cannot draw an interval reaching zero or below (few seeds, wide t-intervals).
  const log = logAxis(metricDef, [...data.map((d) => d.value), target]) && !data.some((d) => d.lo !== undefined && d.lo <= 0);
  const y = { field: 'value', type: 'quantitative', title: axisTitle(metricDef, log), ...(log && { scale: { type: 'log' } }) };
  return {
    ...base(`${metricDef.label} per GPU type`, data),
    ...panels(lay, {
      layer: [
        { mark: 'bar', encoding: { x: { field: 'gpu', type: 'nominal', title: 'GPU type' }, xOffset: seriesColor, y, color: seriesColor } },
        {
          transform: [{ filter: 'isValid(datum.lo)' }],
          mark: { type: 'errorbar', ticks: true },
          encoding: { x: { field: 'gpu', type: 'nominal' }, xOffset: seriesColor, y: { ...y, field: 'lo' }, y2: { field: 'hi' } },
        },
        ...targetRule('y', target, y),
      ],
    }),
  };
}

/**
 * Where each point's requests went: served per GPU type, and rejected, as one stacked bar per
 * point (the parts of one point add up to its requests), so a policy's low tail latency cannot
 * hide the requests it turned away.
 */
export function servedPerGpu(points: readonly PlotPoint[]): Spec {
  const gpus = [...new Set(points.flatMap((p) => Object.keys(p.result.summary.gpu_types)))].sort().map((g) => `served on ${g}`).concat('rejected');
  const data = points.flatMap((p) => {
    const served = Object.keys(p.result.summary.gpu_types).sort().map((gpu) => ({
      part: `served on ${gpu}`,
      value: stat(p, (r) => Object.values(r.summary.gpu_types[gpu]?.served_by_class ?? {}).reduce((a, b) => a + b, 0))?.mean ?? 0,
    }));
    const rejected = { part: 'rejected', value: stat(p, (r) => r.rejected)?.mean ?? 0 };
    const total = round([...served, rejected].reduce((a, d) => a + d.value, 0));
    return [...served, rejected]
      .filter((d) => d.value > 0)
      .map((d) => ({ point: p.label, ...d, order: gpus.indexOf(d.part), value: round(d.value), total, hover: `${p.label}: ${d.part}, ${round(d.value)} requests` }));
  });
  const parts = [...gpus];
  return {
    ...base('Requests served per GPU type, and rejected', data),
    width: WIDTH,
    height: Math.max(60, 22 * points.length),
    encoding: { y: { field: 'point', type: 'nominal', title: null, sort: null, axis: POINT_AXIS } },
    layer: [
      {
        mark: 'bar',
        // The stack order is a field of its own; the hover text names the datum without it.
        encoding: {
          x: { field: 'value', type: 'quantitative', title: 'Requests', stack: 'zero' },
          color: { field: 'part', type: 'nominal', title: null, scale: { domain: parts, range: parts.map((p, i) => (p === 'rejected' ? '#d62728' : SERVED_COLORS[i % SERVED_COLORS.length])) } },
          order: { field: 'order' },
          description: { field: 'hover' },
        },
      },
      // Rejections are often few: say how many beside the bar, so a thin red sliver is not missed.
      {
        transform: [{ filter: "datum.part === 'rejected'" }],
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 10, color: '#d62728' },
        encoding: { x: { field: 'total', type: 'quantitative' }, text: { field: 'value', type: 'quantitative', format: ',.0f' } },
      },
    ],
  };
}

const SERVED_COLORS = ['#4c78a8', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#9d755d'];

/** Mean parts of a disaggregated request's time to first token, stacked per point (they add up within it). */
export function pdBreakdown(points: readonly PlotPoint[], dims: readonly Dimension[], column?: Dimension): Spec {
  const parts = PD_PARTS.map((x) => [x.label, x.key] as const);
  const data = points.flatMap((p) =>
    parts.flatMap(([part, key], order) => {
      const m = stat(p, (r) => r.summary.pd?.[key].mean);
      const label = dims.filter((d) => d !== column).map((d) => p.at[d.title]).join(' · ') || p.label;
      const at = column ? `${label} · ${p.at[column.title]}` : label;
      return m ? [{ column: column ? p.at[column.title] : '', point: label, part, order, value: round(m.mean), hover: `${at}: ${part}, ${round(m.mean)} ms` }] : [];
    }),
  );
  const rows = new Set(data.map((d) => d.point)).size;
  const view = {
    mark: 'bar',
    encoding: {
      y: { field: 'point', type: 'nominal', title: null, sort: null, axis: POINT_AXIS },
      x: { field: 'value', type: 'quantitative', title: 'Mean time (ms)', stack: 'zero' },
      color: { field: 'part', type: 'nominal', title: null, sort: parts.map(([p]) => p) },
      order: { field: 'order' },
      description: { field: 'hover' },
    },
  };
  const height = Math.max(60, 16 * rows);
  if (!column) return { ...base('Time to first token, prefill/decode parts', data), width: WIDTH, height, ...view };
  return {
    ...base('Time to first token, prefill/decode parts', data),
    facet: { column: { field: 'column', type: 'nominal', title: column.title, sort: column.values } },
    spec: { width: FACET_WIDTH, height, ...view },
    // A saturated rate's waits are minutes: its own scale keeps the other rates' parts readable.
    resolve: { scale: { x: 'independent' } },
  };
}

/** SLO attainment of each class (rejections count as misses), one panel per class, one bar per point. */
export function attainmentPerClass(points: readonly PlotPoint[], lay: Layout, name = 'slo_attainment'): Spec {
  const m = metric(name);
  const classes = [...new Set(points.flatMap((p) => Object.keys(p.result.summary.classes)))];
  const data = points.flatMap((p) =>
    classes.flatMap((c) => {
      const perClass = classMetrics([c]).find((d) => d.name === `${name}.${c}`)!;
      const v = stat(p, (r) => perClass.get(r));
      return v ? [{ class: c, point: p.label, ...lay.place(p), ...withCi(v, unitAxis(m.unit).factor) }] : [];
    }),
  );
  const x = { field: 'value', type: 'quantitative', title: axisTitle(m), scale: shareDomain(m) };
  return {
    ...base(`${m.label} per class`, data),
    facet: { column: { field: 'class', type: 'nominal', title: 'class' } },
    spec: {
      width: FACET_WIDTH,
      height: Math.max(60, 18 * points.length),
      encoding: { y: { field: 'point', type: 'nominal', title: null, sort: null, axis: POINT_AXIS } },
      layer: [{ mark: 'bar', encoding: { x, color: seriesColor } }, ciLayer(x, null)],
    },
  };
}

/**
 * Prefill count × decode count, coloured by SLO attainment (throughput without an SLO), one
 * panel per value of the other dimensions.
 */
export function xpydHeatmap(points: readonly PlotPoint[], hasSlo: boolean, others: readonly Dimension[]): Spec {
  const m = metric(hasSlo ? 'slo_attainment' : 'throughput_rps');
  const data = points.map((p) => ({
    panel: others.map((d) => p.at[d.title]).join(' · ') || 'all',
    prefill: p.prefill,
    decode: p.decode,
    value: valueOf(p, m).value,
  }));
  const title = axisTitle(m);
  const values = data.map((d) => d.value).filter((v): v is number => v !== null);
  // Where the colour scale turns light: 60% of its way up (share: 0..100; otherwise the data's range).
  const [lo, hi] = m.unit === 'share' ? [0, 100] : values.length > 0 ? [Math.min(...values), Math.max(...values)] : [0, 0];
  const light = lo + 0.6 * (hi - lo);
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
            color: { field: 'value', type: 'quantitative', title, scale: m.unit === 'share' ? { domain: [0, 100], scheme: 'viridis' } : { scheme: 'viridis' } },
          },
        },
        {
          mark: { type: 'text', fontSize: 10 },
          encoding: {
            text: { field: 'value', type: 'quantitative', format: '.3~r' },
            // viridis runs from dark purple to light yellow: dark labels on the light upper part.
            color: { condition: { test: `datum.value > ${round(light)}`, value: '#222' }, value: 'white' },
          },
        },
      ],
    },
  };
}

/** Fleet cost per hour against SLO attainment: one mark per point, never joined. */
export function costVsAttainment(points: readonly PlotPoint[], lay: Layout): Spec {
  const cost = metric('cost_per_hour');
  const m = metric('slo_attainment');
  const data = points
    .filter((p) => m.get(p.result) !== null)
    .map((p) => ({ ...lay.place(p), point: p.label, cost: cost.get(p.result), ...valueOf(p, m) }));
  return {
    ...base(`${cost.label} vs ${m.label}`, data),
    ...panels(lay, {
      mark: { type: 'point', filled: true, size: 70 },
      encoding: {
        x: { field: 'cost', type: 'quantitative', title: axisTitle(cost), scale: { zero: false } },
        y: { field: 'value', type: 'quantitative', title: axisTitle(m), scale: shareDomain(m) },
        color: seriesColor,
        tooltip: [{ field: 'point' }],
      },
    }),
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
  /** The target rates (req/s, comma-separated) for which the plan recommends this fleet. */
  bestFor?: string;
  /** One line describing the point, shown on hover. */
  hover: string;
}

/**
 * Fleet cost against the largest rate it sustains under the SLOs: every fleet a point, the
 * Pareto frontier (no cheaper fleet sustains more) as a step line, each target rate a dashed rule,
 * the fleet the plan recommends for a target ringed and named.
 */
export function costVsSustainableRate(points: readonly CostRatePoint[], targets: readonly number[], costTitle: string): Spec {
  const frontier = points.filter((p) => p.pareto).sort((a, b) => a.cost - b.cost);
  const best = points.filter((p) => p.bestFor);
  const x = { field: 'cost', type: 'quantitative', title: costTitle, scale: { zero: false } };
  const y = { field: 'rate', type: 'quantitative', title: 'Sustainable rate (req/s)' };
  return {
    ...base('Cost vs sustainable rate', []),
    width: WIDTH,
    height: HEIGHT,
    layer: [
      {
        data: { values: targets.map((t) => ({ rate: t, hover: `target ${t} req/s` })) },
        mark: { type: 'rule', strokeDash: [4, 4], color: '#888' },
        encoding: { y, description: { field: 'hover' } },
      },
      {
        data: { values: frontier },
        mark: { type: 'line', interpolate: 'step-after', color: '#444', strokeWidth: 1, aria: false },
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
          tooltip: { field: 'hover' },
          description: { field: 'hover' },
        },
      },
      // The fleet the plan recommends for a target: ringed, with its own legend entry.
      {
        data: { values: best },
        mark: { type: 'point', size: 260, strokeWidth: 2, aria: false },
        encoding: {
          x,
          y,
          stroke: { datum: 'recommended for a target', type: 'nominal', title: null, scale: { range: ['#d62728'] } },
        },
      },
    ],
    resolve: { scale: { color: 'independent', stroke: 'independent' } },
  };
}
