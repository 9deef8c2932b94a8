import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadGatewayConfig } from '../../src/cli/gateway-config.js';
import { randomStream } from '../../src/engine/index.js';
import { readDecisionLog, replayDecisions, startGateway, type CoreCall, type GatewayHandle } from '../../src/gateway/index.js';
import { createPolicy, createPdPolicy } from '../../src/routing/index.js';
import { parsePrometheusText } from '../../src/llm-http/index.js';
import { startServe, type ServeHandle } from '../../src/serve/index.js';
import { sim } from '../cli/harness.js';
import { constantTiming, get, post, spec, tokenEvents } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'routesim-gateway-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileNo = 0;
/** Writes a gateway config and loads it the way `sim gateway` does. */
async function gateway(cfg: Record<string, unknown>): Promise<GatewayHandle> {
  const file = join(dir, `gw-${fileNo++}.yaml`);
  writeFileSync(file, stringify({ port: 0, model: 'm', ...cfg }));
  const { config, router } = await loadGatewayConfig(file, () => {});
  return startGateway({ config, router, random: randomStream(config.seed, 'router'), warn: () => {} });
}

/** A port on loopback where nothing listens. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const timing = constantTiming(0.02, 0.01);

describe('sim gateway in front of sim serve (unified)', () => {
  let serve: ServeHandle;
  const gws: GatewayHandle[] = [];
  beforeAll(async () => {
    serve = await startServe({
      instances: [spec('A', timing), spec('B', timing), spec('C', timing, { config: { ...spec('C', timing).config, maxNumSeqs: 1, maxNumBatchedTokens: 8192 } })],
      modelName: 'm',
      link: { bandwidthGBs: 50, latencyS: 0.0004 },
    });
  });
  afterAll(async () => {
    for (const g of gws) await g.close();
    await serve?.close();
  });
  const ep = (i: number, extra: Record<string, unknown> = {}) => ({ url: serve.endpoints[i].url, name: serve.endpoints[i].id, gpu: 'H100', ...extra });

  it('routes, streams and scrapes: round-robin alternates, tokens and usage come through, /metrics shows both sides', async () => {
    const gw = await gateway({ endpoints: [ep(0), ep(1)], router: { policy: 'round-robin', refreshMs: { default: 20 } } });
    gws.push(gw);
    const pods: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await post(`${gw.url}/v1/chat/completions`, { model: 'm', messages: [{ role: 'user', content: 'hi '.repeat(50) }], max_tokens: 5, stream: true, stream_options: { include_usage: true } });
      expect(r.status).toBe(200);
      expect(tokenEvents(r)).toHaveLength(5);
      expect(r.headers['routing-strategy']).toBe('round_robin'); // the policy's own name
      pods.push(String(r.headers['target-pod']));
    }
    expect(pods).toEqual(['A', 'B', 'A', 'B']);
    const nonStream = await post(`${gw.url}/v1/completions`, { model: 'm', prompt: 'hello', max_tokens: 4 });
    expect(JSON.parse(nonStream.body).usage.completion_tokens).toBe(4);
    // Records: every request with its TTFT >= one prefill step, its E2E >= prefill + decodes.
    const recs = gw.stats.recent.filter((r) => r.stream);
    expect(recs).toHaveLength(4);
    for (const rec of recs) {
      expect(rec.outputTokens).toBe(5);
      expect(rec.ttft).toBeGreaterThanOrEqual(0.02 - 0.002);
      expect(rec.e2e).toBeGreaterThanOrEqual(0.02 + 4 * 0.01 - 0.002);
    }
    // The scrape saw what the served engines report.
    await until(() => gw.endpoints[0].lastSnapshot.generationTokensTotal >= 10 + 4);
    const m = parsePrometheusText((await get(`${gw.url}/metrics`)).body);
    const v = (name: string, labels: Record<string, string> = {}) => m.find((s) => s.name === name && Object.entries(labels).every(([k, x]) => s.labels[k] === x))?.value;
    expect(v('routesim_gateway_requests_total', { code: '200' })).toBe(5);
    expect(v('routesim_gateway_ttft_seconds_count')).toBe(5);
    expect(v('routesim_gateway_itl_seconds_count')).toBe(4 * 4); // four streams, four gaps each
    expect(v('routesim_gateway_endpoint_dispatched_total', { endpoint: 'A' })).toBe(3);
    expect(v('routesim_gateway_endpoint_inflight', { endpoint: 'A' })).toBe(0);
    expect(v('routesim_gateway_endpoint_scrapes_total', { endpoint: 'B' })).toBeGreaterThan(1);
    expect(gw.endpoints[0].metrics.kvUsage).toBe(0);
    expect(gw.endpoints[0].metrics.avgTtftS).toBeGreaterThan(0);
    expect((await get(`${gw.url}/v1/models`)).body).toContain('"id":"m"');
    expect((await get(`${gw.url}/health`)).status).toBe(200);
  });

  it('runs a custom policy module and the AIBrix SLO family with profiles', async () => {
    const mod = join(dir, 'always-b.mjs');
    writeFileSync(mod, "export default function create() { return { name: 'always-b', select: (req, eps) => eps.find((e) => e.id === 'B') }; }\n");
    const custom = await gateway({ endpoints: [ep(0), ep(1)], router: { policy: mod } });
    gws.push(custom);
    for (let i = 0; i < 3; i++) expect((await post(`${custom.url}/v1/completions`, { prompt: 'x', max_tokens: 1 })).headers['target-pod']).toBe('B');
    // AIBrix slo over A10/L20 profiles: its own router queue, pending-load accounting, GPU-type ranks.
    // Short prompts: their buckets' 1/(throughput x E2E) is well below 1, so they fit an idle pod.
    const profiles = resolve(__dirname, '../../profiles/aibrix/deepseek-coder-6.7b/tpot');
    const slo = await gateway({ model: 'deepseek-coder-6.7b', endpoints: [ep(0, { gpu: 'A10' }), ep(1, { gpu: 'L20' })], router: { policy: 'slo', profiles } });
    gws.push(slo);
    const rs = await Promise.all(Array.from({ length: 6 }, (_, i) => post(`${slo.url}/v1/completions`, { prompt: 'q'.repeat(16 * (i + 1)), max_tokens: 4, stream: true })));
    expect(rs.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    await until(() => slo.endpoints.every((e) => e.counters.inflight === 0));
    // Pending load went up at dispatch and came back down at completion.
    expect(slo.endpoints.map((e) => e.counters.pendingLoad)).toEqual([0, 0].map(() => expect.closeTo(0, 9)));
    expect(slo.endpoints.reduce((a, e) => a + e.counters.dispatched, 0)).toBe(6);
  });

  it('honours the routing-strategy header and rejects an unknown one with 400', async () => {
    const requestsLog = join(dir, 'requests.jsonl');
    const gw = await gateway({ endpoints: [ep(0), ep(1)], router: { policy: 'least-request' }, log: { requests: requestsLog } });
    const ok = await post(`${gw.url}/v1/completions`, { prompt: 'x', max_tokens: 1 }, { 'routing-strategy': 'random' });
    expect(ok.status).toBe(200);
    expect(ok.headers['routing-strategy']).toBe('random');
    const bad = await post(`${gw.url}/v1/completions`, { prompt: 'x', max_tokens: 1 }, { 'routing-strategy': 'no-such' });
    expect(bad.status).toBe(400);
    expect(bad.headers['x-error-routing']).toBe('true');
    expect(JSON.parse(bad.body).error.message).toBe('incorrect routing strategy no-such');
    await gw.close();
    // One JSON line per routed request, with where it went and how long it took.
    const logged = readFileSync(requestsLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ status: 200, outputTokens: 1, promptTokens: 1, retries: 0 });
    expect(['A', 'B']).toContain(logged[0].endpoint);
    expect(logged[0].e2e).toBeGreaterThan(0);
  });

  it('takes a dead endpoint out of rotation and re-routes its request', async () => {
    const port = await deadPort();
    const gw = await gateway({ endpoints: [{ url: `http://127.0.0.1:${port}`, name: 'dead' }, ep(0)], router: { policy: 'round-robin', refreshMs: { default: 1000 } } });
    gws.push(gw);
    // The first scrape already failed: the dead endpoint is out of rotation from the start.
    expect(gw.endpoints[0].healthy).toBe(false);
    for (let i = 0; i < 3; i++) {
      const r = await post(`${gw.url}/v1/completions`, { prompt: 'x', max_tokens: 2 });
      expect(r.status).toBe(200);
      expect(r.headers['target-pod']).toBe('A');
    }
    expect(gw.endpoints[0].counters.dispatched).toBe(0);
    // With every endpoint out of rotation: 503 at once, and /health says so.
    const none = await gateway({ endpoints: [{ url: `http://127.0.0.1:${port}`, name: 'dead' }], router: { policy: 'round-robin', refreshMs: { default: 1000 } } });
    gws.push(none);
    const r = await post(`${none.url}/v1/completions`, { prompt: 'x', max_tokens: 2 });
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body).error.message).toMatch(/^no healthy endpoint \(dead: metrics scrape failed: connect ECONNREFUSED/);
    expect((await get(`${none.url}/health`)).status).toBe(503);
  });

  it('retries a request whose endpoint dies between scrapes on a healthy one', async () => {
    // An endpoint that answers /metrics but fails every completion with 500.
    const broken = createServer((req, res) => {
      if (req.url === '/metrics') res.writeHead(200).end('vllm:num_requests_running 0\n');
      else res.writeHead(500).end('{"error":"boom"}');
    });
    await new Promise<void>((r) => broken.listen(0, '127.0.0.1', r));
    const port = (broken.address() as { port: number }).port;
    try {
      const gw = await gateway({ endpoints: [{ url: `http://127.0.0.1:${port}`, name: 'broken' }, ep(1)], router: { policy: 'round-robin', refreshMs: { default: 1000 } } });
      gws.push(gw);
      const r = await post(`${gw.url}/v1/completions`, { prompt: 'x', max_tokens: 2 });
      expect(r.status).toBe(200);
      expect(r.headers['target-pod']).toBe('B');
      expect(gw.endpoints[0].healthy).toBe(false);
      expect(gw.stats.recent.at(-1)!.retries).toBe(1);
      expect(gw.endpoints[0].counters.inflight).toBe(0);
    } finally {
      await new Promise<void>((r) => broken.close(() => r()));
    }
  });

  it('pull mode queues at the router and answers 429 when the queue is full', async () => {
    // C has one batch slot (it reports max_num_seqs 1): one request runs, one waits, the third is refused.
    const gw = await gateway({ endpoints: [ep(2)], router: { policy: 'least-request', mode: 'pull', refreshMs: { default: 1000 } }, limits: { maxQueued: 1 } });
    gws.push(gw);
    const body = { prompt: 'x', max_tokens: 30, stream: true };
    const first = post(`${gw.url}/v1/completions`, body);
    await until(() => gw.endpoints[0].counters.inflight === 1);
    const second = post(`${gw.url}/v1/completions`, body);
    await until(() => gw.core.queued === 1);
    const third = await post(`${gw.url}/v1/completions`, body);
    expect(third.status).toBe(429);
    const [a, b] = await Promise.all([first, second]);
    expect([a.status, b.status]).toEqual([200, 200]);
    // The second started only after the first finished: its first token after the first's last.
    expect(tokenEvents(b)[0].at).toBeGreaterThan(tokenEvents(a).at(-1)!.at);
  });

  it('a request that waits in the router queue longer than queueTimeoutMs is answered 504', async () => {
    // A prompt whose AIBrix bucket consumes more than a whole pod (1/(tput x E2E) > 1): the SLO
    // queue holds it until a pod has room, which never comes.
    const profiles = resolve(__dirname, '../../profiles/aibrix/deepseek-coder-6.7b/tpot');
    // (Two pods: with one ready pod AIBrix bypasses routing and its queue.)
    const gw = await gateway({ model: 'deepseek-coder-6.7b', endpoints: [ep(0, { gpu: 'A10' }), ep(1, { gpu: 'L20' })], router: { policy: 'slo', profiles }, limits: { queueTimeoutMs: 100 } });
    gws.push(gw);
    const r = await post(`${gw.url}/v1/completions`, { prompt: 'q'.repeat(400), max_tokens: 4 });
    expect(r.status).toBe(504);
    expect(JSON.parse(r.body).error.message).toBe('waited 100 ms in the router queue');
  });

  it('a client that goes away cancels its upstream request and releases the counters', async () => {
    const gw = await gateway({ endpoints: [ep(0)], router: { policy: 'least-request' } });
    gws.push(gw);
    await new Promise<void>((resolve, reject) => {
      const req = request(`${gw.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => {});
      req.end(JSON.stringify({ prompt: 'x', max_tokens: 1000, stream: true }));
      setTimeout(() => reject(new Error('no data')), 5000);
    });
    await until(() => gw.endpoints[0].counters.inflight === 0);
    expect(gw.stats.recent.at(-1)!.status).toBe(499);
  });

  it('decisions through the gateway equal the same policy in the routing library on the logged views (replay)', async () => {
    for (const [policy, mode] of [['llm-d', 'push'], ['least-kv-cache', 'push'], ['random', 'push'], ['least-request', 'pull']] as const) {
      const log = join(dir, `decisions-${policy}.jsonl`);
      const calls: CoreCall[] = [];
      const gw = await gateway({ seed: 7, endpoints: [ep(0), ep(1)], router: { policy, mode, refreshMs: { default: 5 } }, log: { decisions: log } });
      const file = join(dir, `gw-${fileNo - 1}.yaml`);
      // Concurrent requests with shared prefixes, so load, KV usage and prefix matches differ between decisions.
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          post(`${gw.url}/v1/completions`, { prompt: `${'shared prefix '.repeat(20)}${i % 3}`.repeat(2 + (i % 4)), max_tokens: 3 + (i % 5), stream: i % 2 === 0 }),
        ),
      );
      await gw.close();
      const { header, calls: logged } = readDecisionLog(log);
      calls.push(...logged);
      expect(calls.filter((c) => c.out.some((o) => o.kind === 'dispatch'))).toHaveLength(12);
      const { router } = await loadGatewayConfig(file, () => {});
      const { decisions, mismatches } = replayDecisions(header, calls, { ...router, policy: createPolicy(policy, {}) } as never, randomStream(7, 'router'));
      expect(mismatches).toEqual([]);
      expect(decisions).toBe(12);
      if (policy === 'llm-d') {
        const cli = await sim('replay', log, '--config', file);
        expect(cli.code).toBe(0);
        expect(cli.stdout).toMatch(/^\d+ calls, 12 decisions, 0 differ\n$/);
      }
      if (policy === 'random') {
        // The check can fail: another seed draws other endpoints.
        const other = replayDecisions(header, calls, { ...router, policy: createPolicy(policy, {}) } as never, randomStream(8, 'router'));
        expect(other.mismatches.length).toBeGreaterThan(0);
      }
    }
  });
});

describe('sim gateway in front of sim serve (prefill/decode)', () => {
  let serve: ServeHandle;
  const gws: GatewayHandle[] = [];
  beforeAll(async () => {
    serve = await startServe({
      instances: [spec('P0', timing, { role: 'prefill' }), spec('D0', timing, { role: 'decode' }), spec('D1', timing, { role: 'decode' })],
      modelName: 'm',
      link: { bandwidthGBs: 50, latencyS: 0.0004 },
    });
  });
  afterAll(async () => {
    for (const g of gws) await g.close();
    await serve?.close();
  });
  const eps = () => serve.endpoints.map((e) => ({ url: e.url, name: e.id, gpu: 'H100', role: e.role }));

  for (const [policy, forwarding] of [['pd', 'sequential'], ['sglang-pd', 'concurrent']] as const) {
    it(`${policy} (${forwarding}): prompt on the prefill server, tokens from the decode server`, async () => {
      const gw = await gateway({ endpoints: eps(), router: { policy, refreshMs: { default: 20 } }, pd: { forwarding } });
      gws.push(gw);
      const r = await post(`${gw.url}/v1/completions`, { prompt: 'y'.repeat(800), max_tokens: 6, stream: true });
      expect(r.status).toBe(200);
      expect(r.headers['prefill-target-pod']).toBe('P0');
      expect(['D0', 'D1']).toContain(r.headers['target-pod']);
      expect(tokenEvents(r)).toHaveLength(6);
      // First token no earlier than the prefill step plus the transfer.
      expect(tokenEvents(r)[0].at - r.startedAt).toBeGreaterThanOrEqual(20 - 2);
      const p0 = serve.served[0];
      const d = serve.served.find((s) => s.spec.id === r.headers['target-pod'])!;
      await until(() => d.requestsFinished >= 1);
      expect(p0.instance.kvUsage).toBe(0); // the prefill's KV was freed after the transfer
      expect(gw.endpoints[0].counters.prefillInflight).toBe(0);
      expect(gw.endpoints.every((e) => e.counters.inflight === 0)).toBe(true);
      expect(gw.stats.recent.at(-1)!.prefill).toBe('P0');
    });
  }

  it('pull mode: the PD router queue dispatches when prefill and decode have room', async () => {
    const gw = await gateway({ endpoints: eps(), router: { policy: 'pd', mode: 'pull', refreshMs: { default: 20 } } });
    gws.push(gw);
    const rs = await Promise.all(Array.from({ length: 4 }, (_, i) => post(`${gw.url}/v1/completions`, { prompt: 'w'.repeat(200 + 40 * i), max_tokens: 3, stream: true })));
    expect(rs.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    for (const r of rs) expect(tokenEvents(r)).toHaveLength(3);
    expect(gw.core.queued).toBe(0);
  });

  it('llm-d-pd keeps a short prompt on its decode server (no prefill hop)', async () => {
    const gw = await gateway({ endpoints: eps(), router: { policy: 'llm-d-pd', options: { nonCachedTokens: 100000 } } });
    gws.push(gw);
    const r = await post(`${gw.url}/v1/completions`, { prompt: 'v'.repeat(100), max_tokens: 3, stream: true });
    expect(r.status).toBe(200);
    expect(r.headers['prefill-target-pod']).toBe(r.headers['target-pod']);
    expect(['D0', 'D1']).toContain(r.headers['target-pod']);
    expect(tokenEvents(r)).toHaveLength(3);
  });

  it('the first token waits for the KV transfer, even while the decode server is busy stepping', async () => {
    const slow = await startServe({
      instances: [spec('P', timing, { role: 'prefill' }), spec('D', timing, { role: 'decode' })],
      modelName: 'm',
      link: { bandwidthGBs: 50, latencyS: 0.15 },
    });
    try {
      // Keep D stepping: a plain request (no bootstrap room) decoding there.
      const busy = post(`${slow.endpoints[1].url}/v1/completions`, { prompt: 'b', max_tokens: 60, stream: true });
      const gw = await gateway({ endpoints: slow.endpoints.map((e) => ({ url: e.url, name: e.id, role: e.role })), router: { policy: 'pd' } });
      try {
        const r = await post(`${gw.url}/v1/completions`, { prompt: 'u'.repeat(80), max_tokens: 3, stream: true });
        expect(tokenEvents(r)).toHaveLength(3);
        // Prefill step (20 ms) + transfer (150 ms) before the first token reaches the client.
        expect(tokenEvents(r)[0].at - r.startedAt).toBeGreaterThanOrEqual(170 - 2);
      } finally {
        await gw.close();
      }
      await busy;
    } finally {
      await slow.close();
    }
  });

  it('a PD decision replays to the same pairs', async () => {
    const log = join(dir, 'decisions-pd.jsonl');
    const gw = await gateway({ seed: 3, endpoints: eps(), router: { policy: 'pd', refreshMs: { default: 5 } }, log: { decisions: log } });
    await Promise.all(Array.from({ length: 6 }, (_, i) => post(`${gw.url}/v1/completions`, { prompt: 'z'.repeat(100 + 64 * i), max_tokens: 2 + i })));
    await gw.close();
    const { header, calls } = readDecisionLog(log);
    const { decisions, mismatches } = replayDecisions(header, calls, { kind: 'pd', policy: createPdPolicy('pd', {}) }, randomStream(3, 'router'));
    expect(mismatches).toEqual([]);
    expect(decisions).toBe(6);
  });
});

describe('gateway config paths', () => {
  it('log files are relative to the config file, not the working directory', async () => {
    const sub = join(dir, 'cfg');
    mkdirSync(sub, { recursive: true });
    const file = join(sub, 'gw.yaml');
    writeFileSync(
      file,
      stringify({ port: 0, model: 'm', endpoints: [{ url: 'http://127.0.0.1:9' }], router: { policy: 'random' }, log: { decisions: 'd.jsonl', requests: join(dir, 'abs-r.jsonl') } }),
    );
    const { config } = await loadGatewayConfig(file, () => {}, { writesLogs: true });
    expect(config.log).toEqual({ decisions: join(sub, 'd.jsonl'), requests: join(dir, 'abs-r.jsonl') });
  });
});
