import type { Random } from '../engine/random.js';
import type { ArrivalProcess } from './arrival.js';
import type { RequestSpec, RequestStream } from './types.js';
import { WeightedChoice } from './weighted-choice.js';

/**
 * One arrival process for the whole mix; each arrival goes to a source drawn by weight, which
 * supplies its lengths (a trace's own timestamps are ignored). Ends when the chosen source has
 * run out, so a finite trace in a ratio mix ends the workload (use `loop` to avoid that).
 */
export class RatioMix implements RequestStream {
  private readonly choice: WeightedChoice;
  private done = false;

  constructor(
    private readonly sources: readonly RequestStream[],
    weights: readonly number[],
    private readonly arrivals: ArrivalProcess,
    private readonly random: Random,
  ) {
    this.choice = new WeightedChoice(weights);
  }

  next(): RequestSpec | undefined {
    if (this.done) return undefined;
    const t = this.arrivals.next();
    const r = this.sources[this.choice.pick(this.random())].next();
    if (r === undefined) {
      this.done = true;
      return undefined;
    }
    r.arrival = t;
    return r;
  }
}
