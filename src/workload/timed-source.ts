import type { ArrivalProcess } from './arrival.js';
import type { RequestSpec, RequestStream } from './types.js';

/**
 * Gives a source's requests their arrival times: from an arrival process, or from the trace's
 * own timestamps divided by `speedup` (2 halves every gap).
 */
export class TimedSource implements RequestStream {
  constructor(
    private readonly body: RequestStream,
    private readonly arrivals: ArrivalProcess | undefined,
    private readonly speedup = 1,
  ) {}

  next(): RequestSpec | undefined {
    const r = this.body.next();
    if (r === undefined) return undefined;
    r.arrival = this.arrivals !== undefined ? this.arrivals.next() : r.arrival / this.speedup;
    return r;
  }
}
