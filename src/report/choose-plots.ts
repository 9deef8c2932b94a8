import type { PointResult } from '../experiment/run-point.js';
import {
  attainmentPerClass,
  attainmentPerPoint,
  attainmentVsRate,
  costVsAttainment,
  latencyCdf,
  latencyOverTime,
  pdBreakdown,
  servedPerGpu,
  tpotP99PerGpu,
  xpydHeatmap,
  type Spec,
} from './plot-specs.js';
import type { PlotName } from './plot-names.js';
import { layout, sweepDimensions } from './sweep-dimensions.js';
import { latencyFamily, metric } from '../metrics/index.js';

/** One figure of the report: its file name (without .svg), a title, what it shows, and its spec. */
export interface Plot {
  name: PlotName;
  title: string;
  caption: string;
  spec: Spec;
}

/** Most bars or panels a plot draws before it stops being readable. */
const MAX_BARS = 40;

/**
 * The plots worth drawing for these results, picked from what the sweep varies. Every dimension
 * the sweep varies is on an axis, a colour or a panel of each plot (see `layout`), so no line,
 * bar or curve joins or adds up points that differ in something the plot does not show; a plot
 * that cannot place them all readably is left out. Replicates (seeds) are one point, drawn as
 * their mean with a 95% interval.
 */
export function choosePlots(results: readonly PointResult[]): Plot[] {
  if (results.length === 0) return [];
  const { points, dims, varies, hasSlo } = sweepDimensions(results);
  const plots: Plot[] = [];
  const replicated = points.some((p) => p.results.length > 1);
  const ci = replicated ? ' Bars show the 95% confidence interval over seeds.' : '';
  const targets = results.find((r) => r.summary.slo)?.summary.slo?.targets_ms ?? {};
  const rateDim = dims.find((d) => d.kind === 'rate');
  const none = layout(dims, []);
  // Names, units and axes come from the metric catalog (src/metrics/catalog.ts).
  const attainment = metric('slo_attainment').label;

  const byRate = rateDim ? layout(dims, [rateDim]) : null;
  if (hasSlo && rateDim && byRate) {
    plots.push({
      name: 'attainment-vs-rate',
      title: `${attainment} vs request rate`,
      caption: `Share of requests meeting every SLO target (rejected requests count as misses) at each offered rate.${ci}`,
      spec: attainmentVsRate(points, byRate),
    });
  } else if (hasSlo && points.length > 1 && points.length <= MAX_BARS && none) {
    plots.push({
      name: 'attainment',
      title: `${attainment} per point`,
      caption: `Share of requests meeting every SLO target (rejected requests count as misses).${ci}`,
      spec: attainmentPerPoint(points, none),
    });
  }
  const classes = new Set(results.flatMap((r) => Object.entries(r.summary.classes).filter(([, c]) => c.slo_attainment !== null).map(([k]) => k)));
  if (hasSlo && classes.size > 1 && points.length <= MAX_BARS && none) {
    plots.push({
      name: 'attainment-per-class',
      title: `${attainment} per class`,
      caption: `Share of each class's requests meeting its SLO targets; rejected requests count as misses.${ci}`,
      spec: attainmentPerClass(points, none),
    });
  }
  const cdfNote = replicated ? ' Quantiles are averaged over seeds.' : '';
  const cdf = (metric: 'ttft' | 'tpot' | 'tpat', name: PlotName, title: string, caption: string, target?: number) => {
    if (!results.some((r) => (r.summary.cdf?.[`${metric}_ms`]?.length ?? 0) > 0) || !none) return;
    const rule = target !== undefined ? ` The dashed line is the SLO target (${target} ms).` : '';
    plots.push({ name, title, caption: caption + rule + cdfNote, spec: latencyCdf(points, metric, none, target) });
  };
  cdf('ttft', 'ttft-cdf', `${latencyFamily('ttft').label} distribution`, 'Cumulative distribution of time to first token of completed requests, from 101 quantiles stored per point.', targets.ttft);
  cdf('tpot', 'tpot-cdf', `${latencyFamily('tpot').label} distribution`, 'Cumulative distribution of time per output token (completed requests with more than one output token).', targets.tpot);
  if (targets.tpat !== undefined) {
    cdf(
      'tpat',
      'tpat-cdf',
      `${latencyFamily('tpat').label} distribution`,
      "Cumulative distribution of latency per token, E2E / (prompt + output tokens) per completed request (AIBrix's TPAT), as in AIBrix's SLO-routing comparison.",
      targets.tpat,
    );
  }
  const timed = results.find((r) => r.timeline);
  if (timed && none) {
    plots.push({
      name: 'ttft-over-time',
      title: `${metric('ttft_p99_ms').label} over time`,
      caption:
        `Rolling P99 time to first token: every ${timed.timeline!.step_s ?? timed.timeline!.window_s} s, over the requests arriving in the ${timed.timeline!.window_s}-second window around it (completed ones; rejections are in the attainment plots). The window is sized from the run's length and request count (docs/metrics.md).` +
        (targets.ttft !== undefined ? ` The dashed line is the SLO target (${targets.ttft} ms).` : '') +
        (replicated ? ' Means over seeds.' : ''),
      spec: latencyOverTime(points, none, targets.ttft),
    });
  }
  const gpuLayout = layout(dims, [], { colors: 10, panels: 6 });
  if (varies.gpuTypes && gpuLayout) {
    plots.push({
      name: 'tpot-p99-per-gpu',
      title: `${metric('tpot_p99_ms').label} per GPU type`,
      caption: `Tail time per output token of the requests each GPU type served (rejected requests have none: see the next plot).${ci}`,
      spec: tpotP99PerGpu(points, gpuLayout, targets.tpot),
    });
  }
  if ((varies.gpuTypes || results.some((r) => r.rejected > 0)) && points.length > 1 && points.length <= MAX_BARS) {
    plots.push({
      name: 'served-per-gpu',
      title: 'Requests served per GPU type, and rejected',
      caption: `Where each point's requests went.${replicated ? ' Means over seeds.' : ''}`,
      spec: servedPerGpu(points),
    });
  }
  if (results.some((r) => r.summary.pd) && points.length / (rateDim?.values.length ?? 1) <= MAX_BARS) {
    plots.push({
      name: 'pd-breakdown',
      title: 'Time to first token, prefill/decode parts',
      caption: 'Mean prefill queue, prefill, KV wait, transfer and decode wait of disaggregated requests, per point.',
      spec: pdBreakdown(points, dims, rateDim),
    });
  }
  if (varies.xpyd) {
    const others = dims.filter((d) => d.kind !== 'xpyd');
    plots.push({
      name: 'xpyd-heatmap',
      title: 'Prefill/decode split (xPyD)',
      caption: hasSlo
        ? 'SLO attainment for each number of prefill (x) and decode (y) instances.'
        : 'Throughput for each number of prefill (x) and decode (y) instances.',
      spec: xpydHeatmap(points, hasSlo, others),
    });
  }
  // Fleet dimensions are on the cost axis; every other swept dimension (policy, rate, mode) is a
  // colour or a panel, so no two marks that differ in something unshown share a place.
  const costLayout = varies.cost && hasSlo ? layout(dims, dims.filter((d) => d.kind === 'xpyd' || (d.keys.length > 0 && d.keys.every((k) => k.startsWith('fleet'))))) : null;
  if (costLayout) {
    plots.push({
      name: 'cost-vs-attainment',
      title: `${metric('cost_per_hour').label} vs ${attainment}`,
      caption: 'Fleet cost per hour (catalog or costPerHour prices) against SLO attainment, one mark per point; up and to the left is better.',
      spec: costVsAttainment(points, costLayout),
    });
  }
  return plots;
}
