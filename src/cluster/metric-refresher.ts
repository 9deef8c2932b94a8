import type { Simulator } from '../engine/index.js';
import type { InstanceEndpoint } from './endpoint.js';

/** Engine signals the router reads from scraped metrics, each refreshed on its own interval. */
export type Signal = 'queue' | 'kvUsage' | 'throughput' | 'latency';
export const SIGNALS: readonly Signal[] = ['queue', 'kvUsage', 'throughput', 'latency'];

/** Refresh interval per signal, seconds. 0 means the router always sees the live value. */
export type RefreshIntervals = Record<Signal, number>;

/** One refresh interval and the signals refreshed on it. */
interface Group {
  interval: number;
  signals: Signal[];
  tick: () => void;
  /** Time of its last refresh (a real tick, or the last one a catch-up stands for). */
  last: number;
  /** Events other than refresh ticks run when it last refreshed (see `quiet`). */
  eventsAtLast: number;
  /** Not scheduled: nothing has happened since its last refreshes, so they changed nothing. */
  suspended: boolean;
}

/** Beyond this many skipped ticks a catch-up multiplies instead of adding tick by tick. */
const EXACT_CATCH_UP_TICKS = 10_000_000;

/**
 * Copies instance state into the endpoints' metric snapshots on a timer, as a gateway scraping
 * `/metrics` would. Between refreshes the router sees the old values: that staleness is what
 * lets load-based policies herd.
 *
 * Idle time costs nothing: once a refresh finds that no other event ran since the one before
 * (the state, and so every value it copies, is what that refresh saw), its timer stops. Before
 * the next event of any other kind runs, the ticks that would have happened in between are
 * replaced by one refresh at the last of those instants, which writes exactly what they would
 * have (unchanged values, zero throughput, the same `updatedAt`), and the timer resumes on the
 * same grid of instants (the same floating-point sums). Results are byte-identical to ticking
 * all along, except after gaps of more than EXACT_CATCH_UP_TICKS ticks, where the grid may move
 * by rounding.
 */
export class MetricRefresher {
  private readonly groups: Group[] = [];
  /** Refresh ticks run so far (to tell them apart from other events). */
  private ticks = 0;
  private readonly tickHandlers = new Set<unknown>();
  private readonly watch = (handler: unknown): boolean => {
    if (this.tickHandlers.has(handler)) return true;
    this.catchUp();
    return false;
  };

  constructor(
    private readonly sim: Simulator,
    private readonly endpoints: readonly InstanceEndpoint[],
    intervals: RefreshIntervals,
    /** Whether more events can still come; refreshing stops once the run is over. */
    private readonly active: () => boolean,
    /** Called after every refresh (the router's indexed scores of metrics are stale then). */
    private readonly refreshed: () => void = () => {},
  ) {
    const byInterval = new Map<number, Signal[]>();
    for (const s of SIGNALS) {
      const list = byInterval.get(intervals[s]) ?? [];
      list.push(s);
      byInterval.set(intervals[s], list);
    }
    for (const [interval, signals] of [...byInterval].sort((a, b) => a[0] - b[0])) {
      const group: Group = {
        interval,
        signals,
        last: 0,
        eventsAtLast: -1,
        suspended: false,
        tick: () => {
          this.ticks++;
          const events = this.otherEvents();
          const quiet = events === group.eventsAtLast;
          this.refresh(signals);
          group.last = this.sim.now;
          group.eventsAtLast = events;
          if (!this.active()) return;
          if (quiet) {
            group.suspended = true;
            this.sim.beforeNextEvent(this.watch);
          } else this.sim.after(interval, group.tick);
        },
      };
      this.groups.push(group);
      this.tickHandlers.add(group.tick);
    }
  }

  /** Signals with interval 0, which must be refreshed before every routing decision. */
  get liveSignals(): Signal[] {
    return this.groups.find((g) => g.interval === 0)?.signals ?? [];
  }

  start(): void {
    for (const g of this.groups) {
      if (g.interval > 0) this.sim.schedule(this.sim.now, g.tick);
    }
  }

  private otherEvents(): number {
    return this.sim.eventsRun - this.ticks;
  }

  /**
   * Something other than a refresh is about to run at `now`: every suspended group refreshes as
   * of its last tick instant before `now` (if there was one since it stopped) and resumes at
   * the first instant at or after `now`, which runs after this event, as it would have.
   */
  private catchUp(): void {
    const now = this.sim.now;
    const due: { g: Group; at: number }[] = [];
    for (const g of this.groups) {
      if (!g.suspended) continue;
      g.suspended = false;
      let t = g.last;
      let next = t + g.interval;
      const skipped = (now - t) / g.interval;
      if (skipped > EXACT_CATCH_UP_TICKS) {
        t += Math.floor(skipped - 2) * g.interval;
        next = t + g.interval;
      }
      while (next < now) {
        t = next;
        next = t + g.interval;
      }
      if (t > g.last) due.push({ g, at: t });
      this.sim.schedule(next, g.tick);
    }
    // In time order, so updatedAt ends at the latest instant, as with real ticks.
    due.sort((a, b) => a.at - b.at);
    for (const { g, at } of due) {
      this.refresh(g.signals, at);
      g.last = at;
    }
  }

  /** Copies the signals' current values, as of time `now` (a catch-up gives a past instant). */
  refresh(signals: readonly Signal[], now = this.sim.now): void {
    // Which signals, decided once per refresh rather than once per endpoint.
    const queue = signals.includes('queue');
    const kvUsage = signals.includes('kvUsage');
    const throughput = signals.includes('throughput');
    const latency = signals.includes('latency');
    const endpoints = this.endpoints;
    for (let i = 0; i < endpoints.length; i++) {
      const e = endpoints[i];
      const m = e.metrics;
      const inst = e.engine;
      if (queue) {
        m.running = inst.running;
        m.waiting = inst.queued;
        m.numTokens = inst.usedKvTokens + inst.queuedPromptTokens;
      }
      if (kvUsage) m.kvUsage = inst.kvUsage;
      if (throughput) {
        const dt = now - e.lastThroughputAt;
        if (dt > 0) {
          m.promptTokensPerS = (inst.promptTokensComputed - e.lastPromptTokens) / dt;
          m.generationTokensPerS = (inst.tokensGenerated - e.lastGeneratedTokens) / dt;
        }
        e.lastPromptTokens = inst.promptTokensComputed;
        e.lastGeneratedTokens = inst.tokensGenerated;
        e.lastThroughputAt = now;
      }
      if (latency) {
        // Latency averages keep their last value through windows without completions.
        if (e.windowCount > 0) {
          m.avgTtftS = e.windowTtftSum / e.windowCount;
        }
        if (e.windowTpotCount > 0) m.avgTpotS = e.windowTpotSum / e.windowTpotCount;
        if (e.completedCount > 0) {
          // Histogram means (sum / count since the engine started), as AIBrix reads them.
          m.avgQueueTimeS = e.queueTimeSum / e.completedCount;
          m.avgPrefillTimeS = e.prefillTimeSum / e.completedCount;
          m.avgDecodeTimeS = e.decodeTimeSum / e.completedCount;
          m.avgPromptTokensPerReq = e.completedPromptTokens / e.completedCount;
          m.avgGenerationTokensPerReq = e.completedOutputTokens / e.completedCount;
        }
        e.windowTtftSum = e.windowTpotSum = 0;
        e.windowCount = e.windowTpotCount = 0;
      }
      if (!(m.updatedAt > now)) m.updatedAt = now;
    }
    this.refreshed();
  }
}
