import type { PointResult } from '../experiment/run-point.js';
import {
  attainmentPerPoint,
  attainmentVsRate,
  costVsAttainment,
  latencyCdf,
  tpotP99PerGpu,
  xpydHeatmap,
  type Spec,
} from './plot-specs.js';
import { sweepDimensions } from './sweep-dimensions.js';

/** One figure of the report: its file name (without .svg), a title, what it shows, and its spec. */
export interface Plot {
  name: string;
  title: string;
  caption: string;
  spec: Spec;
}

/**
 * The plots worth drawing for these results, picked from what the sweep varies: attainment
 * against rate only when rate varies, the xPyD heatmap only when both prefill and decode counts
 * vary, cost only when fleets of different cost were run, and so on.
 */
export function choosePlots(results: readonly PointResult[]): Plot[] {
  if (results.length === 0) return [];
  const dims = sweepDimensions(results);
  const { points, varies, hasSlo } = dims;
  const plots: Plot[] = [];
  if (hasSlo && varies.rate) {
    plots.push({
      name: 'attainment-vs-rate',
      title: 'SLO attainment vs request rate',
      caption: 'Share of requests meeting every SLO target (rejected requests count as misses) at each offered rate.',
      spec: attainmentVsRate(points),
    });
  } else if (hasSlo && results.length > 1) {
    plots.push({
      name: 'attainment',
      title: 'SLO attainment per point',
      caption: 'Share of requests meeting every SLO target (rejected requests count as misses).',
      spec: attainmentPerPoint(points),
    });
  }
  if (results.some((r) => (r.summary.cdf?.ttft_ms.length ?? 0) > 0)) {
    plots.push({
      name: 'ttft-cdf',
      title: 'TTFT distribution',
      caption: 'Cumulative distribution of time to first token, from 101 quantiles stored per point.',
      spec: latencyCdf(points, 'ttft'),
    });
  }
  if (results.some((r) => (r.summary.cdf?.tpot_ms.length ?? 0) > 0)) {
    plots.push({
      name: 'tpot-cdf',
      title: 'TPOT distribution',
      caption: 'Cumulative distribution of time per output token (requests with more than one output token).',
      spec: latencyCdf(points, 'tpot'),
    });
  }
  if (results.some((r) => r.summary.slo?.targets_ms.tpat !== undefined && (r.summary.cdf?.tpat_ms?.length ?? 0) > 0)) {
    plots.push({
      name: 'tpat-cdf',
      title: 'Latency per token distribution',
      caption:
        "Cumulative distribution of latency per token, E2E / (prompt + output tokens) per completed request (AIBrix's TPAT), " +
        "one line per point, as in AIBrix's SLO-routing comparison.",
      spec: latencyCdf(points, 'tpat'),
    });
  }
  if (varies.gpuTypes) {
    plots.push({
      name: 'tpot-p99-per-gpu',
      title: 'P99 TPOT per GPU type',
      caption: 'Tail time per output token of the requests each GPU type served.',
      spec: tpotP99PerGpu(points),
    });
  }
  if (varies.xpyd) {
    plots.push({
      name: 'xpyd-heatmap',
      title: 'Prefill/decode split (xPyD)',
      caption: hasSlo
        ? 'SLO attainment for each number of prefill (x) and decode (y) instances.'
        : 'Throughput for each number of prefill (x) and decode (y) instances.',
      spec: xpydHeatmap(points, hasSlo),
    });
  }
  if (varies.cost && hasSlo) {
    plots.push({
      name: 'cost-vs-attainment',
      title: 'Cost vs SLO attainment',
      caption: 'Fleet cost per hour (catalog or costPerHour prices) against SLO attainment; up and to the left is better.',
      spec: costVsAttainment(points),
    });
  }
  return plots;
}
