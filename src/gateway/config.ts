import { z } from 'zod';
import { isLoopback } from '../llm-http/index.js';

const positiveInt = z.int().positive();

/** 0 (scrape before every decision) or at least 1 ms, as in experiment files. */
const refreshMs = z.number().refine((v) => v === 0 || v >= 1, 'use 0 (scrape before every decision) or an interval of at least 1 ms');

/** The URL, or undefined when it does not parse (the url check has said so already). */
function parsedUrl(u: string): URL | undefined {
  try {
    return new URL(u);
  } catch {
    return undefined;
  }
}

// Checks run on after a failed one, so each copes with a URL that does not parse.
const loopbackUrl = z
  .string()
  .url()
  .refine((u) => {
    const url = parsedUrl(u);
    return url === undefined || isLoopback(url.hostname.replace(/^\[|\]$/g, ''));
  }, 'this gateway forwards to loopback addresses only (127.0.0.1, ::1, localhost)')
  .refine((u) => (parsedUrl(u)?.protocol ?? 'http:') === 'http:', 'use an http:// URL');

export const endpointSchema = z.strictObject({
  url: loopbackUrl.describe('Base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8000'),
  name: z.string().min(1).optional().describe('Endpoint id (default: host:port); the target-pod response header'),
  gpu: z.string().min(1).default('unknown').describe('GPU type (policies and profiles group endpoints by it)'),
  role: z.enum(['unified', 'prefill', 'decode']).default('unified'),
  roleset: z.string().min(1).optional().describe('AIBrix roleset: PD pairs are chosen inside one roleset'),
  maxNumSeqs: positiveInt.optional().describe('Batch slots, for pull-mode capacity when the server does not report it (default 256)'),
  kvTokens: positiveInt.optional().describe('KV capacity in tokens, when the server does not report it (vLLM cache_config_info)'),
  bootstrapPort: positiveInt.max(65535).default(8998).describe("SGLang prefill server's bootstrap port (PD)"),
});

const targetsSchema = z.strictObject({
  ttftMs: z.number().positive().optional(),
  tpotMs: z.number().positive().optional(),
  e2eMs: z.number().positive().optional(),
});

export const gatewayConfigSchema = z.strictObject({
  host: z
    .string()
    .default('127.0.0.1')
    .refine((h) => h === '127.0.0.1' || h === '::1' || h === 'localhost', 'the gateway listens on loopback only (127.0.0.1, ::1, localhost)'),
  port: z.int().min(0).max(65535).default(8080).describe('0 = an ephemeral port'),
  seed: z.int().nonnegative().default(1).describe("Seed of the router's random stream"),
  model: z.string().min(1).describe('Model name served (/v1/models) and whose profiles apply'),
  endpoints: z.array(endpointSchema).min(1),
  router: z
    .strictObject({
      policy: z.string().min(1).default('round-robin').describe('Policy name, an a:w,b mix, a PD policy, or a module path ./my-policy.js'),
      mode: z.enum(['push', 'pull']).default('push'),
      pullCapacity: z.enum(['instance', 'pending-load']).optional(),
      pullSkipBlocked: z.boolean().optional(),
      options: z.record(z.string(), z.unknown()).optional(),
      profiles: z.string().min(1).optional().describe('Directory or file of AIBrix-format profiles'),
      refreshMs: z
        .strictObject({
          default: refreshMs.optional().describe('Scrape interval of every engine signal, ms (default 50)'),
          queue: refreshMs.optional(),
          kvUsage: refreshMs.optional(),
          throughput: refreshMs.optional(),
          latency: refreshMs.optional(),
        })
        .optional(),
      strategyHeader: z.boolean().default(true).describe('Honour the AIBrix routing-strategy request header (unified policies)'),
    })
    .prefault({}),
  pd: z
    .strictObject({
      forwarding: z
        .enum(['sequential', 'concurrent'])
        .default('sequential')
        .describe("sequential: prefill (max_tokens 1) then decode, AIBrix's vLLM path; concurrent: both at once, SGLang's router and AIBrix's SGLang path"),
    })
    .prefault({}),
  slo: targetsSchema.extend({ percentile: z.number().gt(0).max(100).default(99) }).strict().optional(),
  limits: z
    .strictObject({
      maxQueued: z.int().nonnegative().default(1024).describe('Requests waiting in the router queue before new ones get 429'),
      queueTimeoutMs: z.number().positive().default(30_000).describe('A request still in the router queue after this long is answered 504'),
      retries: z.int().min(0).max(5).default(1).describe('Re-routes of a request whose endpoint failed before any byte reached the client'),
      connectTimeoutMs: z.number().positive().default(2000),
      idleTimeoutMs: z.number().positive().default(60_000).describe('An upstream silent this long is cut and marked unhealthy'),
      scrapeTimeoutMs: z.number().positive().default(1000),
    })
    .prefault({}),
  log: z
    .strictObject({
      decisions: z.string().min(1).optional().describe('JSONL file: every routing decision with the views it saw (for replay)'),
      requests: z.string().min(1).optional().describe('JSONL file: one record per request (TTFT, ITL, E2E, endpoint)'),
    })
    .optional(),
});

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
export type EndpointConfig = z.output<typeof endpointSchema>;

/** Signal refresh intervals in seconds from the config (default 50 ms, as in simulation). */
export const DEFAULT_REFRESH_MS = 50;
