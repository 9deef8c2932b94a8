/**
 * One request as a workload produces it. The same object travels through the gateway and the
 * instance (each sees it through its own narrower interface), so nothing is copied per request.
 */
export interface RequestSpec {
  /** Unique within a run, dense from 0 in arrival order. */
  id: number;
  /** Arrival time at the gateway, seconds from the start of the run. */
  arrival: number;
  promptTokens: number;
  /** Tokens the request will generate (known to the simulator, not to the router). */
  outputTokens: number;
  /** Workload class for per-class metrics and SLOs, e.g. "sharegpt" or "bird". */
  workloadClass: string;
  /**
   * Hashes of the prompt's leading blocks that other requests may share (e.g. a BIRD database
   * schema, Mooncake hash_ids), each covering `hashBlockTokens` tokens. Empty when the prompt shares
   * nothing. Equal hash at equal position means equal content up to and including that block.
   */
  prefixHashes: readonly number[];
  /** Tokens covered by one entry of `prefixHashes`. */
  hashBlockTokens: number;
  /** Conversation or user session, when the source has one. */
  sessionId?: string;
}

/**
 * A pull-based stream of requests in non-decreasing arrival order. Sources read their input
 * lazily, so a trace never has to fit in memory.
 */
export interface RequestStream {
  /** The next request, or undefined when the stream is exhausted (or, closed loop, every client is busy). */
  next(): RequestSpec | undefined;
  /** Closed loop: the last undefined from next() means "every client is busy", not "ended". */
  readonly waitingForClient?: boolean;
  /** Closed loop: a request ended at `time` as its client sees it; that client may send again. */
  clientFree?(time: number): void;
}
