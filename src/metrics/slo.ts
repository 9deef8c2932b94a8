/** Latency targets a request must meet, seconds. A missing target is not checked. */
export interface SloTargets {
  ttft?: number;
  tpot?: number;
  e2e?: number;
  /**
   * Time per all token, E2E / (prompt + output) (AIBrix gen_profile.py's TPAT; the "latency per
   * token" of AIBrix's heterogeneous-GPU routing results).
   */
  tpat?: number;
}

/** SLO settings of a run: default targets, per-class overrides, and the percentile reported against them. */
export interface SloSpec {
  targets: SloTargets;
  perClass: Record<string, SloTargets>;
  /** Percentile (e.g. 99) at which the run's latencies are compared with the targets. */
  percentile: number;
}

export function hasTargets(t: SloTargets): boolean {
  return t.ttft !== undefined || t.tpot !== undefined || t.e2e !== undefined || t.tpat !== undefined;
}

/** Whether one request met every target. TPOT is not defined for one-token outputs and passes. */
export function meetsSlo(t: SloTargets, ttft: number, tpot: number, e2e: number, tpat = NaN): boolean {
  if (t.tpat !== undefined && !(tpat <= t.tpat)) return false;
  if (t.ttft !== undefined && !(ttft <= t.ttft)) return false;
  if (t.tpot !== undefined && !Number.isNaN(tpot) && !(tpot <= t.tpot)) return false;
  if (t.e2e !== undefined && !(e2e <= t.e2e)) return false;
  return true;
}
