/**
 * Gateway overhead: latency a request gains by going through `sim gateway` instead of straight
 * to `sim serve`, at a fixed open-loop rate, and the rate the gateway sustains with a closed
 * loop of clients. Serve and gateway run as their own processes (the built CLI); the client is
 * this process. Loopback only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join, resolve } from 'node:path';
import { quantileSorted } from 'd3-array';

const CLI = resolve(import.meta.dirname, '../cli/main.js');

function start(args: string[], lines: number): Promise<{ proc: ChildProcess; out: string[] }> {
  return new Promise((ok, fail) => {
    const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    const out: string[] = [];
    let buf = '';
    proc.stdout!.setEncoding('utf8').on('data', (c: string) => {
      buf += c;
      const parts = buf.split('\n');
      buf = parts.pop()!;
      out.push(...parts);
      if (out.length >= lines) ok({ proc, out });
    });
    proc.on('exit', (code) => fail(new Error(`${args[0]} exited with ${code}`)));
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: 512 });
const BODY = JSON.stringify({ prompt: [1, 2, 3, 4, 5, 6, 7, 8], max_tokens: 1 });

/** Requests that failed (connection reset, non-200); reported, not fatal. */
let errors = 0;

/** Latency of one request, ms; NaN when it failed. */
function once(url: string): Promise<number> {
  return new Promise((ok) => {
    const t0 = performance.now();
    const req = request(`${url}/v1/completions`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': BODY.length } }, (res) => {
      res.resume();
      res.on('end', () => ok(res.statusCode === 200 ? performance.now() - t0 : (errors++, NaN)));
      res.on('error', () => ok((errors++, NaN)));
    });
    req.on('error', () => ok((errors++, NaN)));
    req.end(BODY);
  });
}

/** Open loop: `rate` requests per second for `seconds`, spread over `urls` in turn. Latencies in ms. */
async function openLoop(urls: string[], rate: number, seconds: number): Promise<number[]> {
  const n = Math.round(rate * seconds);
  const t0 = performance.now();
  const pending: Promise<number>[] = [];
  for (let i = 0; i < n; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(once(urls[i % urls.length]));
  }
  return (await Promise.all(pending)).filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
}

/** Closed loop: `clients` concurrent clients for `seconds`; requests per second completed. */
async function closedLoop(url: string, clients: number, seconds: number): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        if (!Number.isNaN(await once(url))) done++;
      }
    }),
  );
  return done / seconds;
}

export async function gatewayBench(dir: string): Promise<void> {
  // Served engines whose steps take 0.05 ms (a flat timing table), so both paths measure HTTP and
  // routing rather than batching; the difference between them is the gateway.
  const table = join(dir, 'flat-steps.csv');
  const row = (p: number, d: number, c: number) => `H100-SXM,Llama-3.1-8B,1,${p},${d},${c},0.05`;
  writeFileSync(table, ['gpu,model,tp,prefill_tokens,decode_seqs,decode_context,step_ms', row(1, 0, 0), row(8192, 0, 0), row(0, 1, 16), row(0, 256, 1 << 20), ''].join('\n'));
  const fleet = join(dir, 'bench-fleet.yaml');
  writeFileSync(fleet, `model: Llama-3.1-8B\nbasePort: 0\nfleet:\n  - gpu: H100-SXM\n    count: 2\n    timing: {table: "${table}"}\n`);
  const serve = await start(['serve', '--fleet', fleet], 2);
  const urls = serve.out.map((l) => /at (http:\S+)/.exec(l)![1]);
  const gwFile = join(dir, 'bench-gw.yaml');
  writeFileSync(gwFile, `model: Llama-3.1-8B\nport: 0\nendpoints:\n${urls.map((u) => `  - url: "${u}"\n`).join('')}router: {policy: least-request}\n`);
  const gw = await start(['gateway', '--config', gwFile], 1);
  const gwUrl = /at (http:\S+)/.exec(gw.out[0])![1];
  try {
    await openLoop(urls, 200, 1); // warm-up
    await openLoop([gwUrl], 200, 1);
    const direct = await openLoop(urls, 500, 4);
    const via = await openLoop([gwUrl], 500, 4);
    const q = (a: number[], p: number) => quantileSorted(a, p)!;
    const rps = await closedLoop(gwUrl, 64, 3);
    process.stdout.write(
      [
        'Gateway overhead: sim gateway (least-request) in front of 2 served H100 instances, 1-token completions, loopback',
        `  direct p50/p99 ms   ${q(direct, 0.5).toFixed(2)} / ${q(direct, 0.99).toFixed(2)} (500 req/s, 4 s)`,
        `  gateway p50/p99 ms  ${q(via, 0.5).toFixed(2)} / ${q(via, 0.99).toFixed(2)}`,
        `  added p50/p99 ms    ${(q(via, 0.5) - q(direct, 0.5)).toFixed(2)} / ${(q(via, 0.99) - q(direct, 0.99)).toFixed(2)}`,
        `  sustained req/s     ${Math.round(rps)} (64 closed-loop clients, 3 s)`,
        `  failed requests     ${errors}`,
        '',
      ].join('\n'),
    );
  } finally {
    gw.proc.removeAllListeners('exit');
    serve.proc.removeAllListeners('exit');
    gw.proc.kill('SIGTERM');
    serve.proc.kill('SIGTERM');
    agent.destroy();
  }
}
