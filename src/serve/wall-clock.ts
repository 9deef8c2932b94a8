import type { Simulator } from '../engine/index.js';

/**
 * Runs a simulator in real time: simulated second s happens at wall second t0 + s. Events are
 * run when the wall clock reaches them (a timer sleeps until the next one), so every simulated
 * step takes its simulated duration on the wall clock. A late timer does not shift the
 * schedule: later events keep their simulated times. The wall clock is injected (seconds).
 */
export class WallClock {
  private readonly t0: number;
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;
  private stopped = false;

  constructor(
    readonly sim: Simulator,
    private readonly wallNow: () => number,
  ) {
    this.t0 = wallNow();
  }

  /** Seconds since the start, on the wall clock. */
  now(): number {
    return this.wallNow() - this.t0;
  }

  /** Runs every event that is due, then sleeps until the next. Call before touching the simulation. */
  catchUp(): void {
    if (this.stopped) return;
    this.sim.run(Math.max(this.sim.now, this.now()));
    this.arm();
  }

  /** (Re)arms the timer for the next event, e.g. after something was scheduled at the current time. */
  arm(): void {
    if (this.stopped) return;
    const next = this.sim.nextEventTime;
    if (next === Infinity) return;
    if (this.timer !== undefined && this.armedFor <= next) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.armedFor = next;
    const delayMs = Math.max(0, (next - this.now()) * 1000);
    this.timer = setTimeout(this.fire, delayMs);
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.armedFor = Infinity;
    this.catchUp();
  };

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
