import type { Random } from '../engine/random.js';
import { ConstantArrivals, GammaArrivals, PoissonArrivals, type ArrivalProcess } from './arrival.js';
import type { ArrivalConfig } from './config.js';

/** The arrival process a config names, at `rate` requests per second (default Poisson). */
export function arrivalProcess(config: ArrivalConfig | undefined, rate: number, random: Random): ArrivalProcess {
  const process = config === undefined ? 'poisson' : typeof config === 'string' ? config : config.process;
  switch (process) {
    case 'poisson':
      return new PoissonArrivals(rate, random);
    case 'constant':
      return new ConstantArrivals(rate);
    case 'gamma':
      return new GammaArrivals(rate, (config as { cv: number }).cv, random);
  }
}
