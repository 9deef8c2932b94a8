import type { RequestSpec, RequestStream } from './types.js';

/**
 * The workload as the simulator sees it: numbers requests densely from 0 in arrival order and
 * stops at `maxRequests` or at the first arrival at or after `duration` seconds, whichever
 * comes first.
 */
export class NumberedStream implements RequestStream {
  private nextId = 0;
  private done = false;

  constructor(
    private readonly inner: RequestStream,
    private readonly maxRequests = Infinity,
    private readonly duration = Infinity,
  ) {}

  next(): RequestSpec | undefined {
    if (this.done) return undefined;
    if (this.nextId >= this.maxRequests) return this.finish();
    const r = this.inner.next();
    if (r === undefined || r.arrival >= this.duration) return this.finish();
    r.id = this.nextId++;
    return r;
  }

  private finish(): undefined {
    this.done = true;
    return undefined;
  }
}
