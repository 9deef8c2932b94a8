import type { RequestSpec, RequestStream } from './types.js';

/**
 * Merges time-ordered streams into one by arrival (a k-way merge over the streams' heads; k is
 * a handful, so a linear scan). Equal arrivals go in source order.
 */
export class ArrivalMerge implements RequestStream {
  private readonly heads: (RequestSpec | undefined)[];

  constructor(private readonly streams: readonly RequestStream[]) {
    this.heads = streams.map((s) => s.next());
  }

  next(): RequestSpec | undefined {
    const heads = this.heads;
    let best = -1;
    let bestArrival = Infinity;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h !== undefined && (best < 0 || h.arrival < bestArrival)) {
        best = i;
        bestArrival = h.arrival;
      }
    }
    if (best < 0) return undefined;
    const r = heads[best];
    heads[best] = this.streams[best].next();
    return r;
  }
}
