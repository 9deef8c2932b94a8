import type { Random } from '../engine/random.js';
import { ConstantArrivals, GammaArrivals, PoissonArrivals, type ArrivalProcess } from './arrival.js';
import { processOf, type ArrivalConfig } from './config.js';
import { ConditionedPoissonArrivals, StagedArrivals, type RateStage } from './staged-arrivals.js';

/** The arrival process a config names, at `rate` requests per second (default Poisson). */
export function arrivalProcess(config: ArrivalConfig | undefined, rate: number, random: Random): ArrivalProcess {
  switch (processOf(config) ?? 'poisson') {
    case 'poisson':
      return new PoissonArrivals(rate, random);
    case 'constant':
      return new ConstantArrivals(rate);
    case 'gamma':
      return new GammaArrivals(rate, (config as { cv: number }).cv, random);
    default:
      throw new Error(`${processOf(config)} arrivals need stages (stagedArrivalProcess)`);
  }
}

/** Arrivals over a rate schedule: each stage at its own rate, back to back; Infinity after the last. */
export function stagedArrivalProcess(config: ArrivalConfig | undefined, stages: readonly RateStage[], random: Random): ArrivalProcess {
  if (processOf(config) === 'conditioned-poisson') return new ConditionedPoissonArrivals(stages, random);
  return new StagedArrivals(stages, (rate) => arrivalProcess(config, rate, random));
}

/** Every request generated at time 0: closed-loop clients alone decide when each is sent. */
export const IMMEDIATE_ARRIVALS: ArrivalProcess = { next: () => 0 };
