import type { Simulator } from '../engine/index.js';

/** Bandwidth and latency of a prefill-to-decode KV path. */
export interface LinkSpec {
  /** GB/s (1e9 bytes per second). */
  bandwidthGBs: number;
  /** Fixed cost per transfer (handshake, first byte), seconds. */
  latencyS: number;
}

interface Transfer {
  remaining: number;
  done: (payload: unknown) => void;
  payload: unknown;
}

/**
 * One P->D path. Transfers pay the latency, then share the bandwidth equally while they overlap
 * (processor sharing): with n transfers in flight each moves at bandwidth / n.
 */
export class KvLink {
  private active: Transfer[] = [];
  private lastUpdate = 0;
  private version = 0;
  private pending = 0;
  private readonly bytesPerS: number;
  /** Transfers completed and bytes moved, for reporting. */
  transfers = 0;
  bytes = 0;

  constructor(
    private readonly sim: Simulator,
    readonly spec: LinkSpec,
  ) {
    this.bytesPerS = spec.bandwidthGBs * 1e9;
  }

  /** Whether a transfer is under way (joined or paying its latency). */
  get busy(): boolean {
    return this.pending > 0;
  }

  /** Moves `bytes` over the link; calls `done(payload)` when the last byte has arrived. */
  send(bytes: number, done: (payload: unknown) => void, payload: unknown): void {
    this.bytes += bytes;
    this.pending++;
    const t: Transfer = { remaining: bytes, done, payload };
    if (this.spec.latencyS > 0) this.sim.after(this.spec.latencyS, this.joinFn, t);
    else this.join(t);
  }

  private readonly joinFn = (t: Transfer) => this.join(t);
  private readonly fireFn = (version: number) => this.fire(version);

  private join(t: Transfer): void {
    this.advance();
    this.active.push(t);
    this.reschedule();
  }

  /** Charges the bytes moved since the last change to every active transfer. */
  private advance(): void {
    const now = this.sim.now;
    const n = this.active.length;
    if (n > 0) {
      const moved = ((now - this.lastUpdate) * this.bytesPerS) / n;
      for (const t of this.active) t.remaining -= moved;
    }
    this.lastUpdate = now;
  }

  private reschedule(): void {
    const n = this.active.length;
    this.version++;
    if (n === 0) return;
    let min = Infinity;
    for (const t of this.active) if (t.remaining < min) min = t.remaining;
    this.sim.schedule(this.sim.now + (Math.max(0, min) * n) / this.bytesPerS, this.fireFn, this.version);
  }

  private fire(version: number): void {
    if (version !== this.version) return; // superseded by a later join or completion
    this.advance();
    // Within a byte of done counts as done (floating-point residue).
    const finished: Transfer[] = [];
    let kept = 0;
    for (const t of this.active) {
      if (t.remaining <= 1) finished.push(t);
      else this.active[kept++] = t;
    }
    this.active.length = kept;
    this.reschedule();
    for (const t of finished) {
      this.transfers++;
      this.pending--;
      t.done(t.payload);
    }
  }
}
