import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheusText } from '../../src/llm-http/index.js';
import { startServe, TOKEN_TEXT, type ServeHandle } from '../../src/serve/index.js';
import { constantTiming, get, post, spec, tokenEvents } from './helpers.js';

// Steps long enough that timer jitter on a busy machine is small against them.
const PREFILL_S = 0.06;
const DECODE_S = 0.03;

describe('sim serve: simulated instances on the wall clock', () => {
  let serve: ServeHandle;
  beforeAll(async () => {
    serve = await startServe({
      instances: [spec('A-0', constantTiming(PREFILL_S, DECODE_S)), spec('A-1', constantTiming(PREFILL_S, DECODE_S))],
      modelName: 'm',
      link: { bandwidthGBs: 50, latencyS: 0.0004 },
    });
  });
  afterAll(async () => serve?.close());

  it('streams one token per simulated step, never early', async () => {
    const r = await post(`${serve.endpoints[0].url}/v1/completions`, { model: 'm', prompt: 'x'.repeat(400), max_tokens: 6, stream: true, stream_options: { include_usage: true } });
    expect(r.status).toBe(200);
    const toks = tokenEvents(r);
    expect(toks).toHaveLength(6);
    expect(JSON.parse(toks[0].data).choices[0].text).toBe(TOKEN_TEXT);
    // Never early: token i no sooner than the prefill step plus i decode steps (a late timer may
    // bunch tokens, but the schedule does not drift).
    for (let i = 0; i < toks.length; i++) expect(toks[i].at - r.startedAt).toBeGreaterThanOrEqual((PREFILL_S + i * DECODE_S) * 1000 - 2);
    // On schedule overall: the last token at prefill + 5 decodes, within a loose tolerance for a shared machine.
    const last = toks[5].at - r.startedAt;
    expect(last).toBeGreaterThanOrEqual((PREFILL_S + 5 * DECODE_S) * 1000 - 2);
    expect(last).toBeLessThan((PREFILL_S + 5 * DECODE_S) * 1000 + 500);
    const usage = r.events.map((e) => e.data).filter((d) => d !== '[DONE]').map((d) => JSON.parse(d)).find((c) => c.usage);
    expect(usage.usage).toEqual({ prompt_tokens: 100, completion_tokens: 6, total_tokens: 106 });
    expect(r.events.at(-1)!.data).toBe('[DONE]');
  });

  it("takes vLLM benchmark_serving's completions payload and answers in the shape its parser reads", async () => {
    // vLLM benchmarks/backend_request_func.py async_request_openai_completions: this payload; it
    // reads choices[0].text per chunk, usage from a chunk without choices, stops at [DONE].
    const payload = { model: 'm', prompt: 'benchmark prompt '.repeat(8), temperature: 0.0, best_of: 1, max_tokens: 4, logprobs: null, stream: true, stream_options: { include_usage: true }, ignore_eos: true };
    const r = await post(`${serve.endpoints[1].url}/v1/completions`, payload);
    expect(r.status).toBe(200);
    let text = '';
    let usage: { completion_tokens: number } | undefined;
    for (const e of r.events) {
      if (e.data === '[DONE]') break;
      const data = JSON.parse(e.data);
      if (data.choices?.length) text += data.choices[0].text;
      else if (data.usage) usage = data.usage;
    }
    expect(text).toBe(TOKEN_TEXT.repeat(4));
    expect(usage?.completion_tokens).toBe(4);
  });

  it('answers non-streamed chat with the whole text and usage', async () => {
    const r = await post(`${serve.endpoints[1].url}/v1/chat/completions`, { model: 'm', messages: [{ role: 'user', content: 'hello there' }], max_tokens: 3 });
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body);
    expect(body.object).toBe('chat.completion');
    expect(body.choices[0].message.content).toBe(TOKEN_TEXT.repeat(3));
    expect(body.usage.completion_tokens).toBe(3);
    expect(body.usage.prompt_tokens).toBe(3); // 11 characters at 4 per token
  });

  it('exposes the instance under vLLM metric names', async () => {
    const r = await get(`${serve.endpoints[0].url}/metrics`);
    const samples = parsePrometheusText(r.body);
    const value = (name: string) => samples.find((s) => s.name === name)?.value;
    expect(value('vllm:num_requests_running')).toBe(0);
    expect(value('vllm:num_requests_waiting')).toBe(0);
    expect(value('vllm:request_success_total')).toBe(1);
    expect(value('vllm:generation_tokens_total')).toBe(6);
    expect(value('vllm:prompt_tokens_total')).toBe(100);
    expect(value('vllm:time_to_first_token_seconds_count')).toBe(1);
    expect(value('vllm:time_to_first_token_seconds_sum')).toBeCloseTo(PREFILL_S, 6);
    expect(value('vllm:time_per_output_token_seconds_sum')).toBeCloseTo(DECODE_S, 6);
    expect(samples.find((s) => s.name === 'vllm:cache_config_info')?.labels.num_gpu_blocks).toBe(String(64_000 / 16));
  });

  it('rejects a prompt over max_model_len and an unknown model', async () => {
    const long = await post(`${serve.endpoints[0].url}/v1/completions`, { model: 'm', prompt: Array(9000).fill(1), max_tokens: 1 });
    expect(long.status).toBe(400);
    expect(JSON.parse(long.body).error.message).toMatch(/max_model_len 8192/);
    const other = await post(`${serve.endpoints[0].url}/v1/completions`, { model: 'other', prompt: 'x' });
    expect(other.status).toBe(404);
  });

  it('streams exactly max_tokens tokens per request through preemptions', async () => {
    // 20 KV blocks of 16 tokens for four requests that each grow to 100 tokens: some are preempted and recomputed.
    const tight = await startServe({ instances: [spec('T', constantTiming(0.002, 0.002), { kvCapacityTokens: 320 })], modelName: 'm', link: { bandwidthGBs: 50, latencyS: 0 } });
    try {
      const rs = await Promise.all(Array.from({ length: 4 }, (_, i) => post(`${tight.endpoints[0].url}/v1/completions`, { prompt: Array(40).fill(i + 1), max_tokens: 60, stream: true })));
      for (const r of rs) expect(tokenEvents(r)).toHaveLength(60);
      expect(tight.served[0].instance.preemptions).toBeGreaterThan(0);
    } finally {
      await tight.close();
    }
  });
});
