import { EventQueue, type EventHandler, type PoppedEvent } from './event-queue.js';

/**
 * The discrete-event loop: a clock and an event queue. Events at equal times run in the order
 * they were scheduled, so a run is a pure function of its inputs.
 */
export class Simulator {
  private readonly queue = new EventQueue();
  private readonly popped: PoppedEvent = { time: 0, handler: noop, payload: undefined };
  private clock = 0;
  private stopped = false;
  private watcher: ((handler: EventHandler) => boolean) | undefined;
  /** Number of events executed so far. */
  eventsRun = 0;

  get now(): number {
    return this.clock;
  }

  get pending(): number {
    return this.queue.size;
  }

  /** Time of the next event, or Infinity when none is scheduled (a wall-clock driver sleeps until then). */
  get nextEventTime(): number {
    return this.queue.peekTime();
  }

  /** Schedules `handler(payload)` at absolute time `at` (never before now). */
  schedule(at: number, handler: EventHandler, payload?: unknown): void {
    if (!(at >= this.clock)) {
      throw new Error(`cannot schedule an event at ${at} before the current time ${this.clock}`);
    }
    this.queue.push(at, handler, payload);
  }

  /**
   * Schedules `handler(payload)` at `at`, after every ordinary event of that same instant, even
   * those scheduled later: e.g. an engine step that must see all requests arriving at that instant.
   */
  scheduleLate(at: number, handler: EventHandler, payload?: unknown): void {
    if (!(at >= this.clock)) {
      throw new Error(`cannot schedule an event at ${at} before the current time ${this.clock}`);
    }
    this.queue.push(at, handler, payload, true);
  }

  /** Schedules `handler(payload)` after `delay` seconds. */
  after(delay: number, handler: EventHandler, payload?: unknown): void {
    this.schedule(this.clock + delay, handler, payload);
  }

  /**
   * Calls `fn` once, just before the next event runs (the clock already at its time), with that
   * event's handler; `fn` returning true keeps it for the event after. Lets a periodic task stop
   * scheduling itself while nothing happens and catch up when something does.
   */
  beforeNextEvent(fn: (handler: EventHandler) => boolean): void {
    this.watcher = fn;
  }

  /** Stops the loop after the event being run. */
  stop(): void {
    this.stopped = true;
  }

  /** Runs events in order until the queue is empty, `until` is passed, or `stop()` is called. */
  run(until = Infinity): void {
    this.stopped = false;
    const ev = this.popped;
    while (!this.stopped && this.queue.size > 0 && this.queue.peekTime() <= until) {
      this.queue.popInto(ev);
      this.clock = ev.time;
      this.eventsRun++;
      const w = this.watcher;
      if (w !== undefined) {
        this.watcher = undefined;
        if (w(ev.handler)) this.watcher ??= w;
      }
      ev.handler(ev.payload);
    }
    ev.payload = undefined;
    if (until !== Infinity && !this.stopped && this.clock < until) this.clock = until;
  }
}

function noop(): void {}
