/** Loopback HTTP helpers for the served-simulation and gateway tests. */
import { request } from 'node:http';
import type { TimingModel } from '../../src/hardware/types.js';
import { SseParser } from '../../src/llm-http/index.js';
import { VLLM_DEFAULTS } from '../../src/serving/index.js';
import type { ServedInstanceSpec } from '../../src/serve/index.js';

/** A step time that depends only on what the step holds: `prefill` s with prompt tokens in it, else `decode` s. */
export function constantTiming(prefill: number, decode: number): TimingModel {
  return { name: 'constant', stepTime: (b) => (b.prefillTokens > 0 ? prefill : decode) };
}

export function spec(id: string, timing: TimingModel, over: Partial<ServedInstanceSpec> = {}): ServedInstanceSpec {
  return {
    id,
    gpuType: 'H100',
    role: 'unified',
    timing,
    kvCapacityTokens: 64_000,
    maxModelLen: 8192,
    config: { ...VLLM_DEFAULTS },
    kvBytesPerToken: 131072,
    ...over,
  };
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** For SSE: each data payload with the wall time (ms, performance.now) it arrived. */
  events: { data: string; at: number }[];
  startedAt: number;
}

export function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
  return send('POST', url, JSON.stringify(body), headers);
}

export function get(url: string): Promise<HttpResult> {
  return send('GET', url, undefined, {});
}

export function send(method: string, url: string, body: string | undefined, headers: Record<string, string>): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const events: { data: string; at: number }[] = [];
    const parser = new SseParser((data) => events.push({ data, at: performance.now() }));
    const req = request(url, { method, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
        parser.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, events, startedAt }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Token-carrying SSE events (not the role, finish, usage or [DONE] events). */
export function tokenEvents(r: HttpResult): { data: string; at: number }[] {
  return r.events.filter((e) => {
    if (e.data === '[DONE]') return false;
    const c = JSON.parse(e.data).choices?.[0];
    return Boolean(c && (c.text || c.delta?.content));
  });
}
