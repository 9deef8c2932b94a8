/**
 * SLOs as a plan states them: a latency bound and the share of requests that must meet it.
 * "99% of requests meet TPOT <= 50 ms" is {metric: tpot, maxMs: 50, attainment: 99}.
 */
export interface SloTarget {
  metric: 'ttft' | 'tpot';
  maxMs: number;
  /** Percent of requests (0-100] that must meet the bound. */
  attainment: number;
  /** Only requests of this workload class count (default: all). */
  class?: string;
}

/** What one simulation measured against one SLO target. */
export interface SloMeasure {
  /** Share of the counted requests (0..1) that met the bound; a rejected request never does. */
  attainment: number;
  /** Latency at the target's percentile (its attainment), ms, over completed requests; NaN when none. */
  pMs: number;
  met: boolean;
}

/** "TPOT<=50ms@99%" (with " bird" for a class target). */
export function sloLabel(s: SloTarget): string {
  return `${s.metric.toUpperCase()}<=${s.maxMs}ms@${s.attainment}%${s.class ? ` ${s.class}` : ''}`;
}

/**
 * The SLOs a simulation fails, the worst first: by how far the attainment falls short of the
 * required share. Indices into `targets`.
 */
export function failingSlos(targets: readonly SloTarget[], measures: readonly SloMeasure[]): number[] {
  const shortfall = (i: number) => targets[i].attainment / 100 - measures[i].attainment;
  return measures
    .map((_, i) => i)
    .filter((i) => !measures[i].met)
    .sort((a, b) => shortfall(b) - shortfall(a) || a - b);
}
