import type { Simulator } from '../engine/index.js';
import type { InstanceEndpoint } from './endpoint.js';

/** Engine signals the router reads from scraped metrics, each refreshed on its own interval. */
export type Signal = 'queue' | 'kvUsage' | 'throughput' | 'latency';
export const SIGNALS: readonly Signal[] = ['queue', 'kvUsage', 'throughput', 'latency'];

/** Refresh interval per signal, seconds. 0 means the router always sees the live value. */
export type RefreshIntervals = Record<Signal, number>;

/**
 * Copies instance state into the endpoints' metric snapshots on a timer, as a gateway scraping
 * `/metrics` would. Between refreshes the router sees the old values: that staleness is what
 * lets load-based policies herd.
 */
export class MetricRefresher {
  private readonly groups: { interval: number; signals: Signal[]; tick: () => void }[] = [];

  constructor(
    private readonly sim: Simulator,
    private readonly endpoints: readonly InstanceEndpoint[],
    intervals: RefreshIntervals,
    /** Whether more events can still come; refreshing stops once the run is over. */
    private readonly active: () => boolean,
  ) {
    const byInterval = new Map<number, Signal[]>();
    for (const s of SIGNALS) {
      const list = byInterval.get(intervals[s]) ?? [];
      list.push(s);
      byInterval.set(intervals[s], list);
    }
    for (const [interval, signals] of [...byInterval].sort((a, b) => a[0] - b[0])) {
      const group = {
        interval,
        signals,
        tick: () => {
          this.refresh(signals);
          if (this.active()) this.sim.after(interval, group.tick);
        },
      };
      this.groups.push(group);
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

  refresh(signals: readonly Signal[]): void {
    const now = this.sim.now;
    for (const e of this.endpoints) {
      const m = e.metrics;
      const inst = e.engine;
      for (const s of signals) {
        if (s === 'queue') {
          m.running = inst.running;
          m.waiting = inst.queued;
          m.numTokens = inst.usedKvTokens + inst.queuedPromptTokens;
        } else if (s === 'kvUsage') {
          m.kvUsage = inst.kvUsage;
        } else if (s === 'throughput') {
          const dt = now - e.lastThroughputAt;
          if (dt > 0) {
            m.promptTokensPerS = (inst.promptTokensComputed - e.lastPromptTokens) / dt;
            m.generationTokensPerS = (inst.tokensGenerated - e.lastGeneratedTokens) / dt;
          }
          e.lastPromptTokens = inst.promptTokensComputed;
          e.lastGeneratedTokens = inst.tokensGenerated;
          e.lastThroughputAt = now;
        } else {
          // Latency averages keep their last value through windows without completions.
          if (e.windowCount > 0) {
            m.avgTtftS = e.windowTtftSum / e.windowCount;
            m.avgQueueTimeS = e.windowQueueSum / e.windowCount;
            m.avgPrefillTimeS = e.windowPrefillSum / e.windowCount;
            m.avgDecodeTimeS = e.windowDecodeSum / e.windowCount;
          }
          if (e.windowTpotCount > 0) m.avgTpotS = e.windowTpotSum / e.windowTpotCount;
          if (e.completedCount > 0) {
            m.avgPromptTokensPerReq = e.completedPromptTokens / e.completedCount;
            m.avgGenerationTokensPerReq = e.completedOutputTokens / e.completedCount;
          }
          e.windowTtftSum = e.windowTpotSum = e.windowQueueSum = e.windowPrefillSum = e.windowDecodeSum = 0;
          e.windowCount = e.windowTpotCount = 0;
        }
      }
      m.updatedAt = now;
    }
  }
}
