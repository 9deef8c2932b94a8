/** Seconds added on the request path and on every token's path back to the client. */
export interface FrontendLatency {
  /** From the request reaching the API server to the engine queueing it (HTTP, tokenizer, hand-off). */
  requestS: number;
  /** From the engine making a token to the client receiving it (detokenizer, streaming). */
  responseS: number;
}

/**
 * Default front-end latency of a vLLM OpenAI-compatible server (docs/timing.md, "Front end").
 * PLACEHOLDER until fitted.
 */
export const DEFAULT_FRONTEND: Readonly<FrontendLatency> = Object.freeze({ requestS: 0, responseS: 0 });

/** A fleet entry's front-end setting (ms, either part optional) over the defaults. */
export function resolveFrontend(given: { requestMs?: number; responseMs?: number } | undefined): FrontendLatency {
  return {
    requestS: given?.requestMs !== undefined ? given.requestMs / 1000 : DEFAULT_FRONTEND.requestS,
    responseS: given?.responseMs !== undefined ? given.responseMs / 1000 : DEFAULT_FRONTEND.responseS,
  };
}
