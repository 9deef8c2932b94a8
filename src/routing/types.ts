/**
 * The routing library's own view of the world. It imports nothing from the rest of the project:
 * a live gateway can build these views from HTTP requests and scraped engine metrics, and the
 * simulator builds them from its requests and instances.
 */

/** What the router knows about a request when it routes it. The output length is not known. */
export interface RequestView {
  readonly id: number;
  /** Arrival time at the gateway, seconds. */
  readonly arrival: number;
  readonly promptTokens: number;
  /** Workload class, e.g. "sharegpt"; used by class-aware policies and per-class SLOs. */
  readonly workloadClass: string;
  /** Hashes of leading prompt blocks of `hashBlockTokens` tokens each (shared-prefix identity). */
  readonly prefixHashes: readonly number[];
  readonly hashBlockTokens: number;
  readonly sessionId?: string;
}

export type EndpointRole = 'unified' | 'prefill' | 'decode';

/**
 * Engine metrics as scraped from an inference server. In production they arrive on a refresh
 * interval and may be stale; `updatedAt` says when this snapshot was taken.
 */
export interface EngineMetrics {
  /** Requests in the running batch (vllm:num_requests_running). */
  running: number;
  /** Requests waiting in the engine queue (vllm:num_requests_waiting). */
  waiting: number;
  /** Fraction of KV blocks in use, 0..1 (vllm:gpu_cache_usage_perc / kv_cache_usage_perc). */
  kvUsage: number;
  /** Prompt tokens processed per second over the last refresh window. */
  promptTokensPerS: number;
  /** Tokens generated per second over the last refresh window. */
  generationTokensPerS: number;
  /** Mean time per output token over the last refresh window, seconds (0 when unknown). */
  avgTpotS: number;
  /** Mean time to first token over the last refresh window, seconds (0 when unknown). */
  avgTtftS: number;
  /** When this snapshot was taken, seconds. */
  updatedAt: number;
}

/**
 * Counters the gateway keeps itself. They move the instant the gateway dispatches or sees a
 * completion, unlike engine metrics.
 */
export interface GatewayCounters {
  /** Requests dispatched to the endpoint and not yet completed (realtime_num_requests_running). */
  inflight: number;
  /** Prompt tokens of in-flight requests. */
  inflightPromptTokens: number;
  /** Requests dispatched to this endpoint since the start. */
  dispatched: number;
  /** Requests completed by this endpoint since the start. */
  completed: number;
}

/** Free capacity an endpoint reports, for pull mode. */
export interface EndpointCapacity {
  /** Batch slots not taken by running or waiting requests. */
  freeSlots: number;
  /** KV tokens that could still be allocated. */
  freeKvTokens: number;
}

/** One routable endpoint (a pod, an inference server) as the router sees it. */
export interface EndpointView {
  /** Stable name, e.g. "L20-2". */
  readonly id: string;
  /** Position in the endpoint list; stable for the whole run. */
  readonly index: number;
  readonly gpuType: string;
  readonly role: EndpointRole;
  /** Role group (AIBrix roleset) when prefill and decode endpoints are paired in groups. */
  readonly group?: string;
  readonly counters: GatewayCounters;
  /** Latest engine metrics snapshot (possibly stale). */
  readonly metrics: EngineMetrics;
  /** Free capacity as the engine reports it right now (used by pull mode). */
  capacity(): EndpointCapacity;
}

/** Time and randomness, injected so the same policy runs in simulated and real time. */
export interface RoutingContext {
  /** Current time, seconds. */
  now(): number;
  /** Uniform random number in [0, 1), from a seeded stream. */
  random(): number;
  /** Reports something the user should know (missing profile, fallback taken). */
  warn(message: string): void;
}

/** How a completed request ended, as reported back to the gateway. */
export interface CompletionInfo {
  readonly outputTokens: number;
  /** Seconds from arrival to first token. */
  readonly ttft: number;
  /** Seconds from arrival to completion. */
  readonly e2e: number;
}
