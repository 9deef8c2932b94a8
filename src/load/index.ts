/** `sim load`: a real-time load client that sends a routesim workload to an HTTP endpoint. */
export { runLoad, syntheticPrompt, sloOf, type LoadOptions, type LoadResult } from './load-client.js';
