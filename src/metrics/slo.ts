/** Latency targets a request must meet, seconds. A missing target is not checked. */
export interface SloTargets {
  ttft?: number;
  tpot?: number;
  e2e?: number;
}

/** SLO settings of a run: default targets, per-class overrides, and the percentile reported against them. */
export interface SloSpec {
  targets: SloTargets;
  perClass: Record<string, SloTargets>;
  /** Percentile (e.g. 99) at which the run's latencies are compared with the targets. */
  percentile: number;
}

export function hasTargets(t: SloTargets): boolean {
  return t.ttft !== undefined || t.tpot !== undefined || t.e2e !== undefined;
}

/** Whether one request met every target. TPOT is not defined for one-token outputs and passes. */
export function meetsSlo(t: SloTargets, ttft: number, tpot: number, e2e: number): boolean {
  if (t.ttft !== undefined && !(ttft <= t.ttft)) return false;
  if (t.tpot !== undefined && !Number.isNaN(tpot) && !(tpot <= t.tpot)) return false;
  if (t.e2e !== undefined && !(e2e <= t.e2e)) return false;
  return true;
}
