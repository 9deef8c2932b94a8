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
  /** When this snapshot was taken, seconds. NaN or -Infinity before the first scrape. */
  updatedAt: number;

  // Optional signals some production routers read. A value that is absent or not finite counts
  // as "metric not reported", and the policy takes the same fallback its production router does.

  /**
   * Mean time requests waited in the engine queue since the engine started, seconds
   * (vllm:request_queue_time_seconds sum / count: a cumulative histogram, as AIBrix stores it).
   */
  avgQueueTimeS?: number;
  /** Mean prefill time per request since the engine started, seconds (vllm:request_prefill_time_seconds). */
  avgPrefillTimeS?: number;
  /** Mean decode time per request since the engine started, seconds (vllm:request_decode_time_seconds). */
  avgDecodeTimeS?: number;
  /** Mean prompt tokens per request over a long window (AIBrix avg_prompt_toks_per_req, 1 day). */
  avgPromptTokensPerReq?: number;
  /** Mean generated tokens per request over a long window (AIBrix avg_generation_toks_per_req). */
  avgGenerationTokensPerReq?: number;
  /**
   * SGLang `/get_load` num_tokens: KV tokens in use plus prompt tokens waiting (summed over DP ranks).
   * Read by the SGLang `power_of_two` policy; without it that policy compares `kvUsage`.
   */
  numTokens?: number;
  /**
   * KV cache blocks the engine has (vLLM `vllm:cache_config_info` num_gpu_blocks, summed over DP
   * ranks). llm-d sizes its approximate prefix index per endpoint from it (autoTune).
   */
  kvBlocks?: number;
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
  /**
   * AIBrix normalized pending load (realtime_normalized_pendings): the sum over in-flight requests
   * of 1/(tput x E2E) from the endpoint's profile. 0 without profiles. The gateway initializes and
   * maintains it; hosts may leave it out when they build the counters.
   */
  pendingLoad?: number;

  // Prefill/decode counters. Only the PdGateway moves them (it initializes them to 0); the
  // unified Gateway leaves them alone. See src/routing/pd/gateway.ts for when each one moves.

  /**
   * Requests whose prefill was sent to this endpoint and has not finished (AIBrix
   * PrefillRequestTracker: in-flight prefill calls). +1 at dispatch, -1 at prefill done.
   */
  prefillInflight?: number;
  /**
   * Requests routed to this endpoint for decode whose prefill has not finished yet (AIBrix
   * PendingDecodeTracker). +1 at dispatch, -1 at prefill done.
   */
  pendingDecode?: number;
  /**
   * Requests that reached this endpoint for decode (prefill done) and have not completed (AIBrix
   * realtime_num_requests_running of a decode pod). +1 at prefill done, -1 at completion.
   */
  decodeRunning?: number;
  /**
   * Requests that ever reached this endpoint for decode. AIBrix's realtime running metric exists
   * for a pod only once one has (its PD router treats pods without it as cold).
   */
  decodeStarted?: number;
  /**
   * Completions per second on this endpoint over the last minute (AIBrix
   * realtime_running_requests_drain_rate_1m, gateway-tracked). NaN while less than 10 s of
   * history exists. The PdGateway refreshes it before every routing decision.
   */
  drainRate1m?: number;
}

/** Free capacity an endpoint reports right now (not a stale snapshot), for pull mode. */
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
  /**
   * Advances the same stream by `n` draws without producing them, where the host's stream can
   * (a policy whose draws' values change nothing still keeps the stream where n calls would leave
   * it; see skipDraws).
   */
  skipRandom?(n: number): void;
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
  /**
   * The request ended without being served (the engine refused it at dispatch): not a completion.
   * Policies still get onComplete to release per-request state; nothing should learn from it.
   */
  readonly failed?: boolean;
}

/**
 * Why a request ended without being served, for reporting:
 * - 'slo-infeasible': the profiles say no endpoint can meet its SLO (AIBrix ErrorSLOFailureRequest);
 * - 'timed-out': it waited at the gateway longer than the gateway timeout;
 * - 'never-dispatchable': still waiting when nothing could ever dispatch it (the run ended);
 * - 'too-long': no server can hold it (prompt + output beyond the context or the KV capacity);
 * - 'other': anything else (no endpoint, a policy that picked none, a profile error).
 */
export type RejectionKind = 'slo-infeasible' | 'timed-out' | 'never-dispatchable' | 'too-long' | 'other';
