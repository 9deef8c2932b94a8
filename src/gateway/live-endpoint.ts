import type { EndpointCapacity, EndpointRole, EndpointView, EngineMetrics, GatewayCounters } from '../routing/index.js';
import { emptySnapshot, type EngineSnapshot, type SumCount } from './engine-snapshot.js';

/** Engine signals refreshed from scrapes, each on its own interval (as in the simulation). */
export type Signal = 'queue' | 'kvUsage' | 'throughput' | 'latency';
export const SIGNALS: readonly Signal[] = ['queue', 'kvUsage', 'throughput', 'latency'];

/** Scraped metrics plus the prefix-cache hit rate, which routing's EngineMetrics has no field for. */
export interface LiveMetrics extends EngineMetrics {
  /** Prefix cache hits / queries over the last kvUsage window (or the engine's own rate). NaN = not reported. */
  prefixCacheHitRate: number;
}

export interface LiveEndpointSpec {
  id: string;
  url: string;
  gpuType: string;
  role: EndpointRole;
  group?: string;
  /** Batch slots (max_num_seqs), when the server does not report it. */
  maxNumSeqs?: number;
  /** KV capacity in tokens, when the server does not report it. */
  kvTokens?: number;
  /** SGLang bootstrap port of a prefill server (PD). */
  bootstrapPort: number;
}

/**
 * A real (or served-simulated) engine as the routing library sees it. Counters are the
 * gateway's own (moved by the routing Gateway at dispatch and completion); metrics are the last
 * scrape of each signal (stale by design, updatedAt says when); capacity() is derived from the
 * last scrape corrected by what the gateway did since (see docs/gateway.md).
 */
export class LiveEndpoint implements EndpointView {
  readonly counters: GatewayCounters = { inflight: 0, inflightPromptTokens: 0, dispatched: 0, completed: 0 };
  readonly metrics: LiveMetrics = {
    running: NaN,
    waiting: NaN,
    kvUsage: NaN,
    promptTokensPerS: NaN,
    generationTokensPerS: NaN,
    avgTpotS: 0,
    avgTtftS: 0,
    updatedAt: -Infinity,
    avgQueueTimeS: NaN,
    avgPrefillTimeS: NaN,
    avgDecodeTimeS: NaN,
    avgPromptTokensPerReq: NaN,
    avgGenerationTokensPerReq: NaN,
    numTokens: NaN,
    prefixCacheHitRate: NaN,
  };
  healthy = true;
  /** Why the endpoint was last marked unhealthy. */
  lastError = '';
  /** The snapshot each signal was last refreshed from (for window deltas). */
  private readonly base = new Map<Signal, { snap: EngineSnapshot; at: number }>();
  private latest: EngineSnapshot = emptySnapshot();
  /** Prompt tokens dispatched since the last kvUsage refresh (their KV is not in the scraped usage yet). */
  promptTokensSinceScrape = 0;
  scrapes = 0;
  scrapeErrors = 0;

  /** host:port of the URL (AIBrix's target-pod-ip header). */
  readonly address: string;

  constructor(
    readonly index: number,
    readonly spec: LiveEndpointSpec,
  ) {
    this.address = new URL(spec.url).host;
  }

  get id(): string {
    return this.spec.id;
  }
  get gpuType(): string {
    return this.spec.gpuType;
  }
  get role(): EndpointRole {
    return this.spec.role;
  }
  get group(): string | undefined {
    return this.spec.group;
  }

  capacity(): EndpointCapacity {
    const slots = this.spec.maxNumSeqs ?? finiteOr(this.latest.maxNumSeqs, 256);
    const scraped = finiteOr(this.metrics.running, 0) + finiteOr(this.metrics.waiting, 0);
    const used = Math.max(scraped, this.counters.inflight);
    const kvTotal = this.spec.kvTokens ?? finiteOr(this.latest.kvCapacityTokens, Infinity);
    const freeKv = kvTotal === Infinity ? Infinity : kvTotal * (1 - finiteOr(this.metrics.kvUsage, 0)) - this.promptTokensSinceScrape;
    return { freeSlots: slots - used, freeKvTokens: Math.max(0, freeKv) };
  }

  /** Copies a scrape into the metrics of `signals`, as the simulation's metric refresher does. */
  apply(snap: EngineSnapshot, signals: readonly Signal[], now: number): void {
    const m = this.metrics;
    this.latest = snap;
    for (const s of signals) {
      const prev = this.base.get(s);
      if (s === 'queue') {
        m.running = snap.running;
        m.waiting = snap.waiting;
        // SGLang reports used KV tokens; for vLLM the used share of the KV capacity stands in
        // (SGLang's /get_load also adds waiting prompt tokens, which vLLM does not expose).
        m.numTokens = Number.isFinite(snap.numTokens) ? snap.numTokens : snap.kvUsage * snap.kvCapacityTokens;
      } else if (s === 'kvUsage') {
        m.kvUsage = snap.kvUsage;
        this.promptTokensSinceScrape = 0;
        const dq = prev ? snap.prefixQueriesTotal - prev.snap.prefixQueriesTotal : NaN;
        const dh = prev ? snap.prefixHitsTotal - prev.snap.prefixHitsTotal : NaN;
        if (dq > 0) m.prefixCacheHitRate = dh / dq;
        else if (Number.isFinite(snap.prefixHitRate)) m.prefixCacheHitRate = snap.prefixHitRate;
      } else if (s === 'throughput') {
        if (prev && now > prev.at) {
          m.promptTokensPerS = (snap.promptTokensTotal - prev.snap.promptTokensTotal) / (now - prev.at);
          m.generationTokensPerS = (snap.generationTokensTotal - prev.snap.generationTokensTotal) / (now - prev.at);
        }
      } else {
        // Means over the window since the last refresh; kept through windows without completions.
        const mean = (cur: SumCount, old: SumCount | undefined, keep: number) => {
          const dc = old && Number.isFinite(old.count) ? cur.count - old.count : cur.count;
          const ds = old && Number.isFinite(old.sum) ? cur.sum - old.sum : cur.sum;
          return dc > 0 ? ds / dc : keep;
        };
        const o = prev?.snap;
        m.avgTtftS = mean(snap.ttft, o?.ttft, m.avgTtftS);
        m.avgTpotS = mean(snap.tpot, o?.tpot, m.avgTpotS);
        // Histogram means since the engine started (AIBrix reads the cumulative histograms), and
        // the long-window token means (AIBrix reads them over a day).
        m.avgQueueTimeS = mean(snap.queueTime, undefined, m.avgQueueTimeS!);
        m.avgPrefillTimeS = mean(snap.prefillTime, undefined, m.avgPrefillTimeS!);
        m.avgDecodeTimeS = mean(snap.decodeTime, undefined, m.avgDecodeTimeS!);
        m.avgPromptTokensPerReq = mean(snap.promptTokensPerReq, undefined, m.avgPromptTokensPerReq!);
        m.avgGenerationTokensPerReq = mean(snap.generationTokensPerReq, undefined, m.avgGenerationTokensPerReq!);
      }
      this.base.set(s, { snap, at: now });
    }
    m.updatedAt = now;
  }

  /** The last scrape of any signal. */
  get lastSnapshot(): EngineSnapshot {
    return this.latest;
  }
}

function finiteOr(v: number, fallback: number): number {
  return Number.isFinite(v) ? v : fallback;
}
