import { exponential, type Random } from '../engine/random.js';
import type { ArrivalProcess } from './arrival.js';

/** One stage of a rate schedule: `rate` requests per second for `duration` seconds. */
export interface RateStage {
  rate: number;
  duration: number;
}

/** Arrivals that fall in [0, ∞) at a fixed rate, restarted at the beginning of each stage. */
export type StageProcessFactory = (rate: number) => ArrivalProcess;

/**
 * Piecewise-constant rates: stage k runs its own arrival process, offset to the stage's start,
 * and arrivals at or past the stage's end are dropped (memoryless for Poisson; a constant
 * process restarts at the stage start). After the last stage, next() returns Infinity.
 */
export class StagedArrivals implements ArrivalProcess {
  private stage = 0;
  private start = 0;
  private process: ArrivalProcess;

  constructor(
    private readonly stages: readonly RateStage[],
    private readonly factory: StageProcessFactory,
  ) {
    this.process = factory(stages[0].rate);
  }

  next(): number {
    while (this.stage < this.stages.length) {
      const end = this.start + this.stages[this.stage].duration;
      const t = this.start + this.process.next();
      if (t < end) return t;
      this.start = end;
      if (++this.stage < this.stages.length) this.process = this.factory(this.stages[this.stage].rate);
    }
    return Infinity;
  }
}

/** floor(rate × duration), robust to 0.1 × 30 = 2.9999…: the count inference-perf sends in a stage. */
export function stageCount(stage: RateStage): number {
  return Math.floor(stage.rate * stage.duration + 1e-9);
}

/**
 * A Poisson process conditioned on exactly N = floor(rate × duration) arrivals per stage, as
 * inference-perf's "constant" load type does (kubernetes-sigs/inference-perf@7de5ef2:
 * inference_perf/loadgen/load_timer.py, ConstantLoadTimer): N i.i.d. exponential gaps, rescaled
 * to sum to the stage duration, so the stage's last arrival falls on its end. Stages follow one
 * another; after the last, next() returns Infinity. Holds one stage's N gaps at a time.
 */
export class ConditionedPoissonArrivals implements ArrivalProcess {
  private stage = -1;
  private start = 0;
  private t = 0;
  private gaps = new Float64Array(0);
  private i = 0;
  private n = 0;

  constructor(
    private readonly stages: readonly RateStage[],
    private readonly random: Random,
  ) {}

  next(): number {
    while (this.i >= this.n) {
      if (this.stage >= 0) this.start += this.stages[this.stage].duration;
      if (++this.stage >= this.stages.length) return Infinity;
      this.draw(this.stages[this.stage]);
    }
    this.t += this.gaps[this.i++];
    // The last arrival lands on the stage end exactly, not a rounding error past it.
    return this.i === this.n ? this.start + this.stages[this.stage].duration : this.start + this.t;
  }

  private draw(stage: RateStage): void {
    const n = stageCount(stage);
    if (this.gaps.length < n) this.gaps = new Float64Array(n);
    let sum = 0;
    for (let k = 0; k < n; k++) {
      const g = exponential(this.random, stage.rate);
      this.gaps[k] = g;
      sum += g;
    }
    const scale = stage.duration / sum;
    for (let k = 0; k < n; k++) this.gaps[k] *= scale;
    this.n = n;
    this.i = 0;
    this.t = 0;
  }
}
