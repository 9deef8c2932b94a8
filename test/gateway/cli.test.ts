/**
 * `sim gateway` and `sim serve` as commands: bad config files give one line naming the file and
 * the field, exit code 2; and the built CLI serves a fleet and routes in front of it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lines, sim } from '../cli/harness.js';
import { post, tokenEvents } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'routesim-gwcli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GOOD_GW = `model: m
port: 0
endpoints:
  - url: http://127.0.0.1:9
    name: a
router:
  policy: least-request
`;

const GOOD_FLEET = `model: Llama-3.1-8B
basePort: 0
fleet:
  - gpu: H100-SXM
    count: 2
`;

const cases: { name: string; cmd: 'gateway' | 'serve'; text: string; where: RegExp; says: RegExp }[] = [
  { name: 'unknown field', cmd: 'gateway', text: GOOD_GW + 'extra: 1\n', where: /line \d+/, says: /unknown field "extra"/ },
  { name: 'non-loopback endpoint', cmd: 'gateway', text: GOOD_GW.replace('127.0.0.1:9', '10.0.0.5:8000'), where: /endpoints\.0\.url \(line 4\)/, says: /loopback addresses only/ },
  { name: 'non-loopback listen address', cmd: 'gateway', text: GOOD_GW + 'host: 0.0.0.0\n', where: /host/, says: /loopback only/ },
  { name: 'unknown policy', cmd: 'gateway', text: GOOD_GW.replace('least-request', 'fastest'), where: /router\.policy \(line 7\)/, says: /unknown routing policy "fastest"/i },
  { name: 'unknown policy option', cmd: 'gateway', text: GOOD_GW + '  options: {speed: 3}\n', where: /router\.options\.speed/, says: /speed/ },
  { name: 'PD policy over unified endpoints', cmd: 'gateway', text: GOOD_GW.replace('least-request', 'pd'), where: /router\.policy/, says: /prefill\/decode policy/ },
  { name: 'unified policy over PD endpoints', cmd: 'gateway', text: GOOD_GW.replace('    name: a\n', '    name: a\n    role: prefill\n  - url: http://127.0.0.1:10\n    role: decode\n'), where: /router\.policy/, says: /must be a PD policy/ },
  { name: 'duplicate endpoint names', cmd: 'gateway', text: GOOD_GW.replace('router:', '  - url: http://127.0.0.1:10\n    name: a\nrouter:'), where: /endpoints\.1/, says: /appears twice/ },
  { name: 'bad refresh interval', cmd: 'gateway', text: GOOD_GW + '  refreshMs: {queue: 0.5}\n', where: /router\.refreshMs\.queue/, says: /at least 1 ms/ },
  { name: 'missing model', cmd: 'gateway', text: GOOD_GW.replace('model: m\n', ''), where: /model/, says: /missing required field/ },
  { name: 'unknown GPU', cmd: 'serve', text: GOOD_FLEET.replace('H100-SXM', 'H999'), where: /fleet\.0\.gpu \(line 4\)/, says: /H999/ },
  { name: 'unknown model', cmd: 'serve', text: GOOD_FLEET.replace('Llama-3.1-8B', 'Llama-9'), where: /model \(line 1\)/, says: /Llama-9/ },
  { name: 'data-parallel ranks', cmd: 'serve', text: GOOD_FLEET + '    dp: 2\n', where: /fleet\.0\.dp/, says: /dp must be 1/ },
  { name: 'non-loopback host', cmd: 'serve', text: GOOD_FLEET + 'host: 192.168.1.2\n', where: /host/, says: /loopback only/ },
];

describe('config errors: one line, exit 2', () => {
  for (const c of cases) {
    it(`${c.cmd}: ${c.name}`, async () => {
      const file = join(dir, `${c.cmd}-${c.name.replace(/\W+/g, '-')}.yaml`);
      writeFileSync(file, c.text);
      const r = await sim(c.cmd, c.cmd === 'gateway' ? '--config' : '--fleet', file);
      expect(r.thrown).toBeUndefined();
      expect(r.code).toBe(2);
      const err = lines(r.stderr);
      expect(err).toHaveLength(1);
      expect(err[0]).toContain(file);
      expect(err[0]).toMatch(c.where);
      expect(err[0]).toMatch(c.says);
    });
  }
  it('a bad --port is one line', async () => {
    const file = join(dir, 'port.yaml');
    writeFileSync(file, GOOD_GW);
    const r = await sim('gateway', '--config', file, '--port', '70000');
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual(['error: --port must be a port number 0..65535']);
  });

  it('a missing file is one line too', async () => {
    const r = await sim('gateway', '--config', join(dir, 'nope.yaml'));
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([`error: ${join(dir, 'nope.yaml')}: cannot read file (ENOENT)`]);
  });
});

const CLI = resolve(__dirname, '../../dist/cli/main.js');

/** Starts the built CLI and resolves with the lines it printed once `count` lines are out. */
function start(args: string[], count: number): Promise<{ proc: ChildProcess; out: string[] }> {
  return new Promise((resolvePromise, reject) => {
    const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: string[] = [];
    let buf = '';
    let err = '';
    proc.stdout!.setEncoding('utf8').on('data', (c: string) => {
      buf += c;
      const parts = buf.split('\n');
      buf = parts.pop()!;
      out.push(...parts);
      if (out.length >= count) resolvePromise({ proc, out });
    });
    proc.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
    proc.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
    setTimeout(() => reject(new Error(`no output within 20 s: ${err}`)), 20_000);
  });
}

function stop(proc: ChildProcess): Promise<number | null> {
  return new Promise((r) => {
    proc.removeAllListeners('exit');
    proc.on('exit', (code) => r(code));
    proc.kill('SIGTERM');
  });
}

describe.skipIf(!existsSync(CLI))('node dist/cli/main.js serve and gateway', () => {
  it('serves a roofline-timed fleet and routes in front of it, then stops cleanly on SIGTERM', async () => {
    const fleet = join(dir, 'fleet.yaml');
    writeFileSync(fleet, GOOD_FLEET);
    const serve = await start(['serve', '--fleet', fleet], 2);
    try {
      const urls = serve.out.map((l) => /at (http:\S+)/.exec(l)![1]);
      expect(serve.out[0]).toMatch(/^serving H100-SXM-0 \(H100-SXM, unified\) at http:\/\/127\.0\.0\.1:\d+$/);
      const gwFile = join(dir, 'gw.yaml');
      writeFileSync(gwFile, `model: Llama-3.1-8B\nport: 0\nendpoints:\n${urls.map((u, i) => `  - {url: "${u}", name: s${i}, gpu: H100-SXM}\n`).join('')}router: {policy: round-robin}\n`);
      const gw = await start(['gateway', '--config', gwFile], 1);
      try {
        const url = /at (http:\S+)/.exec(gw.out[0])![1];
        const r = await post(`${url}/v1/completions`, { model: 'Llama-3.1-8B', prompt: Array(512).fill(7), max_tokens: 8, stream: true });
        expect(r.status).toBe(200);
        expect(tokenEvents(r)).toHaveLength(8);
        expect(r.headers['target-pod']).toBe('s0');
      } finally {
        expect(await stop(gw.proc)).toBe(0);
      }
    } finally {
      expect(await stop(serve.proc)).toBe(0);
    }
  });
});
