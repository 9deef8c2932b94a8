import { exponential, type Random } from '../engine/random.js';
import { gammaVariate } from './gamma.js';

/** A renewal arrival process: successive absolute arrival times in seconds from 0. */
export interface ArrivalProcess {
  next(): number;
}

/** Poisson arrivals: exponential gaps with mean 1/rate. */
export class PoissonArrivals implements ArrivalProcess {
  private t = 0;
  constructor(
    private readonly rate: number,
    private readonly random: Random,
  ) {}

  next(): number {
    this.t += exponential(this.random, this.rate);
    return this.t;
  }
}

/**
 * Gamma-distributed gaps with mean 1/rate and coefficient of variation `cv`: shape 1/cv²,
 * scale cv²/rate. cv = 1 is Poisson; cv > 1 is burstier, cv < 1 more regular.
 */
export class GammaArrivals implements ArrivalProcess {
  private t = 0;
  private readonly shape: number;
  private readonly scale: number;
  constructor(
    rate: number,
    cv: number,
    private readonly random: Random,
  ) {
    this.shape = 1 / (cv * cv);
    this.scale = (cv * cv) / rate;
  }

  next(): number {
    this.t += gammaVariate(this.random, this.shape, this.scale);
    return this.t;
  }
}

/**
 * Evenly spaced arrivals at 0, 1/rate, 2/rate, … Times are n/rate rather than a running sum,
 * so they do not drift over a million requests.
 */
export class ConstantArrivals implements ArrivalProcess {
  private n = 0;
  constructor(private readonly rate: number) {}

  next(): number {
    return this.n++ / this.rate;
  }
}
