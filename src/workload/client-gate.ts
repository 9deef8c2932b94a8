import type { RequestSpec, RequestStream } from './types.js';

/**
 * Closed-loop clients: N users, each with at most one request outstanding, like
 * benchmark_serving's --max-concurrency (a semaphore around each request). A request is sent at
 * its generated arrival time or when a client becomes free, whichever is later; with no arrival
 * process (all generated at 0) every completion sends the next request at once. The simulator
 * reports each request's end as the client sees it through `clientFree`.
 */
export class ClientGate implements RequestStream {
  /** Times at which idle clients became free, ascending. */
  private readonly free: number[];
  private ended = false;
  waitingForClient = false;

  constructor(
    private readonly inner: RequestStream,
    clients: number,
  ) {
    this.free = new Array<number>(clients).fill(0);
  }

  next(): RequestSpec | undefined {
    if (this.ended) return undefined;
    if (this.free.length === 0) {
      this.waitingForClient = true;
      return undefined;
    }
    this.waitingForClient = false;
    const r = this.inner.next();
    if (r === undefined) {
      this.ended = true;
      return undefined;
    }
    const t = this.free.shift()!;
    if (t > r.arrival) r.arrival = t;
    return r;
  }

  clientFree(time: number): void {
    // Sorted insert: ends arrive in time order, except across servers with different response delays.
    const free = this.free;
    let i = free.length;
    while (i > 0 && free[i - 1] > time) i--;
    free.splice(i, 0, time);
  }
}
