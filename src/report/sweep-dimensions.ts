import type { PointResult } from '../experiment/run-point.js';

/** One point as the plots see it: where it sits in the sweep, and its result. */
export interface PlotPoint {
  result: PointResult;
  /** Offered request rate, when the sweep varies it. */
  rate?: number;
  /** Prefill and decode instance counts (xPyD). */
  prefill: number;
  decode: number;
  /** The line / colour a point belongs to: its policy and whatever else varies besides rate. */
  series: string;
  /** A short label of all its swept values. */
  label: string;
}

/** What a sweep varies, read from its results; the report picks its plots from this. */
export interface SweepDimensions {
  points: PlotPoint[];
  varies: { rate: boolean; policy: boolean; xpyd: boolean; cost: boolean; gpuTypes: boolean };
  /** Latencies against SLO targets are known (the experiment has an SLO). */
  hasSlo: boolean;
}

/** A swept key that sets a request rate: `rates:` (rate), workload.rate, or a source's rate. */
const RATE_PATH = /^(rate|workload\.rate|workload\.sources\[\d+\]\.rate)$/;

/** Keys that form fleet shape (counts per role) rather than a separate line of their own. */
const FLEET_PATH = /^fleet\[\d+\]\.count$/;

export function sweepDimensions(results: readonly PointResult[]): SweepDimensions {
  const keys = [...new Set(results.flatMap((r) => Object.keys(r.point)))];
  const distinct = (f: (r: PointResult) => unknown) => new Set(results.map((r) => JSON.stringify(f(r)))).size;
  const varying = keys.filter((k) => distinct((r) => r.point[k]) > 1);
  const rateKeys = varying.filter((k) => RATE_PATH.test(k));
  const policy = distinct((r) => r.policy) > 1;
  const roles = (r: PointResult, role: string) => r.fleet.filter((f) => f.role === role).reduce((a, f) => a + f.count, 0);
  const xpyd = distinct((r) => roles(r, 'prefill')) > 1 && distinct((r) => roles(r, 'decode')) > 1;
  // The rest of what varies tells lines apart; counts already on a heatmap's axes do not.
  const others = varying.filter((k) => !rateKeys.includes(k) && k !== 'router.policy' && !(xpyd && FLEET_PATH.test(k)));
  // Fleet fields read better as the fleet they make ("2×H100-SXM+1×A100-80GB") than as paths.
  const composition = (k: string) => /^fleet(\[\d+\]\.(count|gpu|tp|role))?$/.test(k);
  const fleetVaries = others.some(composition);
  const rest = others.filter((k) => !composition(k));

  const points = results.map((r): PlotPoint => {
    const rate = rateKeys.length > 0 ? rateKeys.reduce((a, k) => a + Number(r.point[k] ?? 0), 0) : undefined;
    const parts = [
      ...(policy || others.length === 0 ? [r.policy] : []),
      ...(fleetVaries ? [fleetLabel(r)] : []),
      ...rest.map((k) => `${shortKey(k)}=${fmt(r.point[k])}`),
    ];
    return {
      result: r,
      rate,
      prefill: roles(r, 'prefill'),
      decode: roles(r, 'decode'),
      series: parts.join(' · '),
      label: Object.keys(r.point).length > 0 ? Object.entries(r.point).map(([k, v]) => `${shortKey(k)}=${fmt(v)}`).join(' ') : r.policy,
    };
  });
  const costs = new Set(results.map((r) => r.cost_per_hour));
  return {
    points,
    varies: {
      rate: rateKeys.length > 0,
      policy,
      xpyd,
      cost: costs.size > 1 && !costs.has(0),
      gpuTypes: results.some((r) => Object.keys(r.summary.gpu_types).length > 1) || distinct((r) => Object.keys(r.summary.gpu_types)) > 1,
    },
    hasSlo: results.some((r) => r.metrics.slo_attainment !== null),
  };
}

function fleetLabel(r: PointResult): string {
  return r.fleet.map((f) => `${f.count}×${f.gpu}${f.tp > 1 ? `(tp${f.tp})` : ''}${f.role === 'unified' ? '' : ` ${f.role}`}`).join('+');
}

/** "workload.sources[0].rate" → "sources[0].rate": the last parts are what a reader needs. */
function shortKey(k: string): string {
  return k.split('.').slice(-2).join('.');
}

function fmt(v: unknown): string {
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}
