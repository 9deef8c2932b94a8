/**
 * `sim load`: an experiment's workload sent in real time through `sim gateway` to `sim serve`,
 * summarized as `sim run` summarizes, readable by `sim compare`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadGatewayConfig } from '../../src/cli/gateway-config.js';
import { loadServeFleet } from '../../src/cli/serve-fleet.js';
import { randomStream } from '../../src/engine/index.js';
import { startGateway } from '../../src/gateway/index.js';
import { syntheticPrompt } from '../../src/load/index.js';
import { parseRequestBody } from '../../src/llm-http/index.js';
import { startServe } from '../../src/serve/index.js';
import { lines, sim } from '../cli/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'routesim-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EXPERIMENT = `name: load-check
seed: 3
model: Llama-3.1-8B
fleet:
  - gpu: H100-SXM
    count: 2
workload:
  requests: 12
  sources:
    - class: chat
      dataset: sharegpt
      rate: 40
router:
  policy: least-request
slo:
  ttftMs: 2000
`;

describe('sim load', () => {
  it('sends the workload through the gateway and writes a summary sim compare reads', async () => {
    const exp = join(dir, 'exp.yaml');
    writeFileSync(exp, EXPERIMENT);
    const fleet = join(dir, 'fleet.yaml');
    writeFileSync(fleet, 'model: Llama-3.1-8B\nbasePort: 0\nfleet:\n  - gpu: H100-SXM\n    count: 2\n    engine: {maxModelLen: 8192}\n');
    const serve = await startServe(loadServeFleet(fleet));
    const gwFile = join(dir, 'gw.yaml');
    writeFileSync(gwFile, stringify({ model: 'Llama-3.1-8B', port: 0, endpoints: serve.endpoints.map((e) => ({ url: e.url, name: e.id, gpu: 'H100-SXM' })), router: { policy: 'least-request' } }));
    const { config, router } = await loadGatewayConfig(gwFile, () => {});
    const gw = await startGateway({ config, router, random: randomStream(1, 'router'), warn: () => {} });
    try {
      const root = join(dir, 'live');
      const out = join(root, 'load-check');
      const r = await sim('load', exp, '--url', gw.url, '--out', root);
      expect(r.thrown).toBeUndefined();
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(lines(r.stdout)[0]).toMatch(/^load-check \S+: 12 completed, 0 failed; TTFT p50\/p99/);
      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
      const run = summary.runs[0];
      expect(run.completed).toBe(12);
      expect(run.metrics.ttft_ms.p50).toBeGreaterThan(0);
      expect(run.metrics.slo_attainment).not.toBeNull();
      // The run's span runs from the first send: throughput is measured, not 0.
      expect(run.summary.duration_s).toBeGreaterThan(0);
      expect(run.metrics.throughput_rps).toBeCloseTo(12 / run.summary.duration_s, 6);
      // The gateway routed every request; the served engines produced every token.
      expect(gw.endpoints.reduce((a, e) => a + e.counters.completed, 0)).toBe(12);
      const generated = serve.served.reduce((a, s) => a + s.instance.tokensGenerated, 0);
      expect(generated).toBe(gw.stats.recent.reduce((a, x) => a + x.outputTokens, 0));
      // Against the simulated run of the same experiment: the same point, compared metric by metric.
      const simulated = await sim('run', exp, '--out', join(dir, 'sim'), '--no-report', '--json');
      expect(simulated.code).toBe(0);
      const cmp = await sim('compare', join(dir, 'sim', 'load-check'), out);
      expect(cmp.thrown).toBeUndefined();
      expect([0, 1]).toContain(cmp.code); // a verdict (better or worse), not a read error
      expect(cmp.stdout).toContain('ttft_median_ms');
      expect(summary.runs[0].id).toBe(JSON.parse(simulated.stdout.trim()).id);
      // A second load keeps the first one's summary in previous/; a sim run's directory is refused.
      const first = readFileSync(join(out, 'summary.json'), 'utf8');
      expect((await sim('load', exp, '--url', gw.url, '--out', root)).code).toBe(0);
      expect(readFileSync(join(out, 'previous', 'summary.json'), 'utf8')).toBe(first);
      const simDir = join(dir, 'sim', 'load-check');
      const before = readFileSync(join(simDir, 'summary.json'), 'utf8');
      const over = await sim('load', exp, '--url', gw.url, '--out', join(dir, 'sim'));
      expect(over.code).toBe(2);
      expect(over.stderr).toMatch(/holds the results of sim run \(experiment\.json\)/);
      expect(readFileSync(join(simDir, 'summary.json'), 'utf8')).toBe(before);
    } finally {
      await gw.close();
      await serve.close();
    }
  });

  it('exits 1 when no request completed (nothing listens at the URL)', async () => {
    const exp = join(dir, 'exp-down.yaml');
    writeFileSync(exp, EXPERIMENT.replace('requests: 12', 'requests: 3'));
    const closed = createServer();
    const port = await new Promise<number>((r) => closed.listen(0, '127.0.0.1', () => r((closed.address() as AddressInfo).port)));
    await new Promise((r) => closed.close(r));
    const r = await sim('load', exp, '--url', `http://127.0.0.1:${port}`, '--out', join(dir, 'down'));
    expect(r.thrown).toBeUndefined();
    expect(r.code).toBe(1);
    expect(lines(r.stderr).at(-1)).toMatch(/^error: no request completed \(is http:\/\/127\.0\.0\.1:\d+ serving the experiment model\?\)$/);
  });

  it('synthetic prompts share blocks exactly where the workload shares prefix hashes', () => {
    const a = syntheticPrompt({ id: 1, arrival: 0, promptTokens: 40, outputTokens: 1, workloadClass: 'c', prefixHashes: [11, 22], hashBlockTokens: 16 });
    const b = syntheticPrompt({ id: 2, arrival: 0, promptTokens: 40, outputTokens: 1, workloadClass: 'c', prefixHashes: [11, 33], hashBlockTokens: 16 });
    expect(a).toHaveLength(40);
    expect(a.slice(0, 16)).toEqual(b.slice(0, 16));
    expect(a.slice(16, 32)).not.toEqual(b.slice(16, 32));
    // The gateway's own 16-token hashes agree on the first block only.
    const ha = parseRequestBody('completions', { prompt: a }).prefixHashes;
    const hb = parseRequestBody('completions', { prompt: b }).prefixHashes;
    expect(ha[0]).toBe(hb[0]);
    expect(ha[1]).not.toBe(hb[1]);
  });

  it('refuses a non-loopback URL with one line, exit 2', async () => {
    const exp = join(dir, 'exp2.yaml');
    writeFileSync(exp, EXPERIMENT);
    const r = await sim('load', exp, '--url', 'http://10.1.2.3:8000');
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual(['error: --url http://10.1.2.3:8000: sim load sends to http:// loopback addresses only']);
  });
});
