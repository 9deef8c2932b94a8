/** Seconds added on the request path and on every token's path back to the client. */
export interface FrontendLatency {
  /** From the request reaching the API server to the engine queueing it (HTTP, tokenizer, hand-off). */
  requestS: number;
  /** From the engine making a token to the client receiving it (detokenizer, streaming). */
  responseS: number;
}

/**
 * Default front-end latency of a vLLM OpenAI-compatible server (docs/timing.md, "Front end"):
 * 6.77 ms in all, fitted on the 15 real H100 runs of sim2real_trainval by `sim fidelity --fit`
 * (docs/fidelity.md: the weighted-median TTFT-mean gap at the fitted engine host time per step,
 * 0.25 ms per step, on the step-time model with CUDA-graph padding). The data fixes only the
 * sum; it is split evenly between the request and the response path.
 */
export const DEFAULT_FRONTEND: Readonly<FrontendLatency> = Object.freeze({ requestS: 0.003385, responseS: 0.003385 });

/** A fleet entry's front-end setting (ms, either part optional) over the defaults. */
export function resolveFrontend(given: { requestMs?: number; responseMs?: number } | undefined): FrontendLatency {
  return {
    requestS: given?.requestMs !== undefined ? given.requestMs / 1000 : DEFAULT_FRONTEND.requestS,
    responseS: given?.responseMs !== undefined ? given.responseMs / 1000 : DEFAULT_FRONTEND.responseS,
  };
}

/**
 * Whether a fleet entry's engine schedules asynchronously unless it says otherwise. vLLM turns
 * async scheduling on by default when the executor supports it (vllm-project/vllm#27614, before
 * the v0.15.1 of the training runs); on the real H100 runs of
 * sim2real_trainval, TTFT needs the extra step it implies (docs/fidelity.md).
 */
export const DEFAULT_ASYNC_SCHEDULING = true;
