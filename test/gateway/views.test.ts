/**
 * The gateway's scraped view of a served instance equals the simulator's view of the same
 * instance (the cluster's endpoint and metric refresher over the very Instance that `sim serve`
 * runs), so a policy decides the same in the gateway as in simulation.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, type ClientRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadGatewayConfig } from '../../src/cli/gateway-config.js';
import { InstanceEndpoint } from '../../src/cluster/endpoint.js';
import { MetricRefresher } from '../../src/cluster/metric-refresher.js';
import { randomStream, Simulator } from '../../src/engine/index.js';
import { startGateway, type GatewayHandle } from '../../src/gateway/index.js';
import { HASH_BLOCK_TOKENS, parseRequestBody } from '../../src/llm-http/index.js';
import { createPolicy } from '../../src/routing/index.js';
import { startServe, type ServeHandle } from '../../src/serve/index.js';
import { constantTiming, post, spec } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'routesim-views-'));

/** Starts a long streamed request straight at a served instance; resolves at its first token. */
function hold(url: string, promptTokens: number): Promise<ClientRequest> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.on('data', (c: Buffer) => {
        if (c.toString().includes('"text":" tok"')) resolve(req);
      });
    });
    req.on('error', () => {});
    req.end(JSON.stringify({ prompt: Array.from({ length: promptTokens }, (_, i) => i + promptTokens), max_tokens: 1000, stream: true }));
    setTimeout(() => reject(new Error('no first token')), 5000);
  });
}

describe('gateway views = simulation views of the same instances', () => {
  let serve: ServeHandle;
  const held: ClientRequest[] = [];
  beforeAll(async () => {
    // Decode steps of 2 s: the instances' state stands still while it is scraped and compared.
    const t = constantTiming(0.005, 2);
    serve = await startServe({ instances: [spec('A', t), spec('B', t), spec('C', t)], modelName: 'm', link: { bandwidthGBs: 50, latencyS: 0 } });
    const [a, b] = serve.endpoints;
    held.push(...(await Promise.all([hold(a.url, 900), hold(a.url, 700), hold(a.url, 500), hold(b.url, 300)])));
  });
  afterAll(async () => {
    for (const r of held) r.destroy();
    await serve?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const policy of ['least-kv-cache', 'llm-d', 'least-gpu-cache']) {
    it(`${policy}: the same views and the same choice`, async () => {
      const file = join(dir, `${policy}.yaml`);
      writeFileSync(file, stringify({ model: 'm', port: 0, endpoints: serve.endpoints.map((e) => ({ url: e.url, name: e.id, gpu: 'H100' })), router: { policy, refreshMs: { default: 10 } } }));
      const { config, router } = await loadGatewayConfig(file, () => {});
      const gw: GatewayHandle = await startGateway({ config, router, random: randomStream(1, 'router'), warn: () => {} });
      try {
        // The simulator's views: the cluster's endpoints over the served Instances, refreshed as in a run.
        const sim = new Simulator();
        const simViews = serve.served.map((s, i) => new InstanceEndpoint(i, s.instance, [s.instance], 'H100', 'unified'));
        const refresher = new MetricRefresher(sim, simViews, { queue: 0, kvUsage: 0, throughput: 0, latency: 0 }, () => false);
        const state = () => simViews.map((v) => [v.metrics.running, v.metrics.waiting, v.metrics.kvUsage]);
        const live = gw.endpoints;
        // Bracket two complete gateway scrapes between two simulator refreshes that saw the same
        // state: the scrape then saw that state too (a step may end in between; then try again).
        let before: number[][] = [];
        for (let attempt = 0; attempt < 5; attempt++) {
          refresher.refresh(['queue', 'kvUsage']);
          before = state();
          const n = live.map((e) => e.scrapes);
          const end = performance.now() + 5000;
          while (live.some((e, i) => e.scrapes < n[i] + 2) && performance.now() < end) await new Promise((r) => setTimeout(r, 5));
          refresher.refresh(['queue', 'kvUsage']);
          if (JSON.stringify(state()) === JSON.stringify(before)) break;
        }
        for (let i = 0; i < 3; i++) {
          expect(live[i].metrics.running).toBe(simViews[i].metrics.running);
          expect(live[i].metrics.waiting).toBe(simViews[i].metrics.waiting);
          expect(live[i].metrics.kvUsage).toBe(simViews[i].metrics.kvUsage);
        }
        expect(simViews.map((v) => v.metrics.running)).toEqual([3, 1, 0]);
        // The same request to both: the gateway's pick equals the policy's pick on the simulator's views.
        const body = { prompt: Array.from({ length: 64 }, (_, i) => i), max_tokens: 1 };
        const parsed = parseRequestBody('completions', body);
        const req = { id: 0, arrival: 0, promptTokens: parsed.promptTokens, workloadClass: 'default', prefixHashes: parsed.prefixHashes, hashBlockTokens: HASH_BLOCK_TOKENS };
        const expected = createPolicy(policy, {}).select(req, simViews, { now: () => 0, random: randomStream(1, 'router'), warn: () => {} });
        const r = await post(`${gw.url}/v1/completions`, body);
        expect(r.status).toBe(200);
        expect(r.headers['target-pod']).toBe(expected!.id);
        expect(expected!.id).toBe('C');
      } finally {
        await gw.close();
      }
    });
  }
});
