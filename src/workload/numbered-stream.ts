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
    if (r === undefined && this.inner.waitingForClient) return undefined;
    // Infinity: a rate schedule past its last stage.
    if (r === undefined || r.arrival >= this.duration || r.arrival === Infinity) return this.finish();
    r.id = this.nextId++;
    return r;
  }

  get waitingForClient(): boolean {
    return !this.done && this.inner.waitingForClient === true;
  }

  clientFree(time: number): void {
    this.inner.clientFree?.(time);
  }

  private finish(): undefined {
    this.done = true;
    return undefined;
  }
}
