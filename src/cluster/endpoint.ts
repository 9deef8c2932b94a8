import type { EndpointCapacity, EndpointRole, EndpointView, EngineMetrics, GatewayCounters } from '../routing/index.js';
import type { Engine } from '../serving/index.js';

/**
 * A server as the router sees it: gateway counters (moved by the gateway at once), an engine
 * metrics snapshot (refreshed on an interval, so possibly stale) and fresh reported capacity.
 */
export class InstanceEndpoint implements EndpointView {
  readonly counters: GatewayCounters = { inflight: 0, inflightPromptTokens: 0, dispatched: 0, completed: 0 };
  readonly metrics: EngineMetrics = {
    running: 0,
    waiting: 0,
    kvUsage: 0,
    promptTokensPerS: 0,
    generationTokensPerS: 0,
    avgTpotS: 0,
    avgTtftS: 0,
    updatedAt: 0,
    avgQueueTimeS: 0,
    avgPrefillTimeS: 0,
    avgDecodeTimeS: 0,
    avgPromptTokensPerReq: 0,
    avgGenerationTokensPerReq: 0,
    numTokens: 0,
  };
  /** Completions since the last latency refresh, for the windowed averages. */
  windowTtftSum = 0;
  windowTpotSum = 0;
  windowTpotCount = 0;
  windowCount = 0;
  /**
   * Completions since the start: the long-window per-request token means, and the queue, prefill
   * and decode time means, which vLLM reports as cumulative histograms.
   */
  completedCount = 0;
  queueTimeSum = 0;
  prefillTimeSum = 0;
  decodeTimeSum = 0;
  completedPromptTokens = 0;
  completedOutputTokens = 0;
  /** Cumulative token counters at the last throughput refresh. */
  lastPromptTokens = 0;
  lastGeneratedTokens = 0;
  lastThroughputAt = 0;
  /** Prefills done here for disaggregated requests. */
  prefills = 0;

  constructor(
    readonly index: number,
    readonly engine: Engine,
    readonly gpuType: string,
    readonly role: EndpointRole,
    readonly group?: string,
    /** KV blocks of the engine at its block size, over all ranks (vLLM's cache_config_info). */
    kvBlocks = 0,
  ) {
    // A static engine fact, not a refreshed signal.
    this.metrics.kvBlocks = kvBlocks;
  }

  get id(): string {
    return this.engine.id;
  }

  capacity(): EndpointCapacity {
    const e = this.engine;
    // Requests already queued here take free KV before a new one would: room is what is left after
    // their prompts, as free slots are what is left after them.
    return { freeSlots: e.slots - e.running - e.queued, freeKvTokens: Math.max(0, e.freeKvTokens - e.queuedPromptTokens) };
  }
}
