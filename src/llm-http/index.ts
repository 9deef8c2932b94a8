/**
 * The HTTP surface that LLM servers share: OpenAI-style request bodies, SSE streaming and
 * Prometheus metrics text. A leaf: both the live gateway and the served simulation use it.
 */
export * from './request.js';
export * from './sse.js';
export * from './prometheus.js';
export * from './http-util.js';
