/** What `sim plan` reports: the result types (the JSON of `--json` and plan.json). */

export type BlockKind = 'unified' | 'prefill' | 'decode';

/** The largest rate one instance sustains under the SLOs it answers for. */
export interface BlockResult {
  kind: BlockKind;
  candidate: string;
  /** req/s; 0 when it fails at every rate tried. */
  capacity: number;
  /** The lowest rate that failed (null: none did up to the search's limit). */
  failedAt: number | null;
  simulations: number;
  /** Targets it answers for (labels), and the best attainment (0..1) each reached in any probe. */
  targets: string[];
  bestAttainment: number[];
  /** Targets failing at `failedAt` (at the lowest rate tried when capacity is 0), worst first. */
  binding: string[];
}

export interface FleetGroup {
  candidate: string;
  gpu: string;
  tp: number;
  role: BlockKind;
  count: number;
}

/** A fleet built from blocks, before simulation. */
export interface PlanFleet {
  shape: 'aggregated' | 'disaggregated';
  groups: FleetGroup[];
  /** "2P3D" for disaggregated fleets. */
  xpyd?: string;
  /** null when the plan ranks by GPUs and gives no prices. */
  costPerHour: number | null;
  gpus: number;
  /** Sum of the blocks' capacities (for xPyD: the smaller of the prefill and decode sides). */
  estimatedRate: number;
}

export interface SloResult {
  target: string;
  attainment: number;
  /** Latency at the target's percentile, ms. */
  pMs: number;
  met: boolean;
}

/** A fleet simulated whole with one policy. */
export interface VerifiedFleet {
  fleet: PlanFleet;
  policy: string;
  /** Whether every SLO is met at the target rate. */
  meets: boolean;
  slos: SloResult[];
  /** TTFT and TPOT at the reported percentiles, ms. */
  ttftMs: number;
  tpotMs: number;
  completed: number;
  rejected: number;
  /**
   * Largest rate found meeting every SLO, measured by bisection starting at the target; 0 when
   * none did down to half the target. `sustainableCapped`: it still met them at maxHeadroom x target.
   */
  sustainableRate: number;
  sustainableCapped: boolean;
  /** sustainableRate / target (measured). */
  headroom: number;
  /** The SLOs failing first as the rate grows (at the lowest failing rate), worst first; empty when none failed. */
  binding: string[];
  simulations: number;
}

export interface TargetResult {
  targetRate: number;
  /** Fleets considered for verification, in objective order. */
  fleets: PlanFleet[];
  /** Verified fleets, best first: those meeting every SLO, by objective, then headroom. */
  ranked: VerifiedFleet[];
  /** Why no fleet was found (bounds too tight, or none verified): exit code 1. */
  infeasible?: string;
}

export interface PlanResult {
  name: string;
  objective: 'cost' | 'gpus';
  precision: number;
  /** Length of every simulation: seconds of arrivals, or a request count. */
  probe: { duration?: number; requests?: number };
  slos: string[];
  percentiles: { ttft: number; tpot: number };
  blocks: BlockResult[];
  targets: TargetResult[];
  /** No candidate meets the SLOs at any rate: exit code 1. */
  infeasible?: string;
  simulations: number;
}
