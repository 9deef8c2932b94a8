/**
 * `sim gateway` and `sim serve` as commands: bad config files give one line naming the file and
 * the field, exit code 2; and the built CLI serves a fleet and routes in front of it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
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
  { name: 'a policy option out of range', cmd: 'gateway', text: GOOD_GW.replace('least-request', 'dynamo-kv') + '  options: {overlapScoreCredit: 2}\n', where: /router\.options\.overlapScoreCredit \(line 8\)/, says: /must be <= 1, got 2/ },
  { name: 'PD policy over unified endpoints', cmd: 'gateway', text: GOOD_GW.replace('least-request', 'pd'), where: /router\.policy/, says: /prefill\/decode policy/ },
  { name: 'unified policy over PD endpoints', cmd: 'gateway', text: GOOD_GW.replace('    name: a\n', '    name: a\n    role: prefill\n  - url: http://127.0.0.1:10\n    role: decode\n'), where: /router\.policy/, says: /must be a PD policy/ },
  { name: 'duplicate endpoint names', cmd: 'gateway', text: GOOD_GW.replace('router:', '  - url: http://127.0.0.1:10\n    name: a\nrouter:'), where: /endpoints\.1/, says: /appears twice/ },
  { name: 'bad refresh interval', cmd: 'gateway', text: GOOD_GW + '  refreshMs: {queue: 0.5}\n', where: /router\.refreshMs\.queue/, says: /at least 1 ms/ },
  { name: 'missing model', cmd: 'gateway', text: GOOD_GW.replace('model: m\n', ''), where: /model/, says: /missing required field/ },
  { name: 'unknown GPU', cmd: 'serve', text: GOOD_FLEET.replace('H100-SXM', 'H999'), where: /fleet\.0\.gpu \(line 4\)/, says: /H999/ },
  { name: 'unknown model', cmd: 'serve', text: GOOD_FLEET.replace('Llama-3.1-8B', 'Llama-9'), where: /model \(line 1\)/, says: /Llama-9/ },
  { name: 'data-parallel ranks', cmd: 'serve', text: GOOD_FLEET + '    dp: 2\n', where: /fleet\.0\.dp/, says: /dp must be 1/ },
  { name: 'a URL that does not parse', cmd: 'gateway', text: GOOD_GW.replace('http://127.0.0.1:9', 'nope'), where: /endpoints\.0\.url \(line 4\)/, says: /URL/ },
  { name: 'decision log in a missing folder', cmd: 'gateway', text: GOOD_GW + 'log: {decisions: no/such/dir/d.jsonl}\n', where: /log\.decisions/, says: /folder .* does not exist/ },
  { name: 'request log is a folder', cmd: 'gateway', text: GOOD_GW + 'log: {requests: .}\n', where: /log\.requests/, says: /is a directory/ },
  { name: 'both logs one file', cmd: 'gateway', text: GOOD_GW + 'log: {decisions: x.jsonl, requests: x.jsonl}\n', where: /log\.requests/, says: /also log\.decisions/ },
  { name: 'ports past 65535', cmd: 'serve', text: GOOD_FLEET.replace('basePort: 0', 'basePort: 65535'), where: /basePort \(line 2\)/, says: /past port 65535/ },
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

  it('a log file that exists is not overwritten: not the config itself, not a previous decision log, not a foreign file the request log would append to', async () => {
    const file = join(dir, 'logs.yaml');
    const previous = join(dir, 'previous-decisions.jsonl');
    const foreign = join(dir, 'notes.txt');
    writeFileSync(previous, '{"kind":"header"}\n');
    writeFileSync(foreign, 'my notes\n');
    for (const [log, says] of [
      ['decisions: logs.yaml', /is the config file itself/],
      ['decisions: previous-decisions.jsonl', /already exists/],
      ['requests: notes.txt', /not a request log/],
    ] as const) {
      writeFileSync(file, GOOD_GW + `log: {${log}}\n`);
      const r = await sim('gateway', '--config', file);
      expect(r.thrown).toBeUndefined();
      expect(r.code).toBe(2);
      expect(lines(r.stderr)).toHaveLength(1);
      expect(r.stderr).toMatch(says);
    }
    expect(readFileSync(file, 'utf8')).toContain('log: {requests: notes.txt}');
    expect(readFileSync(previous, 'utf8')).toBe('{"kind":"header"}\n');
    expect(readFileSync(foreign, 'utf8')).toBe('my notes\n');
  });

  it('a port in use is one line, for the gateway and for sim serve', async () => {
    const taken = createServer();
    const port = await new Promise<number>((r) => taken.listen(0, '127.0.0.1', () => r((taken.address() as AddressInfo).port)));
    try {
      const gw = join(dir, 'taken.yaml');
      writeFileSync(gw, GOOD_GW);
      const fleet = join(dir, 'taken-fleet.yaml');
      writeFileSync(fleet, GOOD_FLEET);
      for (const r of [await sim('gateway', '--config', gw, '--port', String(port)), await sim('serve', '--fleet', fleet, '--base-port', String(port))]) {
        expect(r.thrown).toBeUndefined();
        expect(r.code).toBe(2);
        expect(lines(r.stderr)).toEqual([`error: cannot listen on 127.0.0.1:${port} (EADDRINUSE: the port is in use: choose another)`]);
      }
    } finally {
      taken.close();
    }
  });

  it('a damaged decision log is refused with its line number', async () => {
    const cfg = join(dir, 'replay.yaml');
    writeFileSync(cfg, GOOD_GW);
    const header = '{"kind":"header","policy":"least-request","mode":"push","seed":1,"endpoints":[{"id":"a","gpuType":"unknown","role":"unified"}]}';
    const view = '{"id":"a","healthy":true,"counters":{},"metrics":{},"capacity":{"freeSlots":1,"freeKvTokens":"Infinity"}}';
    for (const [body, says] of [
      ['', /line 1: not a decision log/],
      ['[1]', /line 1: not a decision log/],
      [`${header}\n{"call":"nope"}`, /line 2: not a routing call/],
      [`${header}\n[1]`, /line 2: not a routing call/],
      [`${header}\n{"call":"submit","t":0,"views":[${view}],"out":[]}\n`, /line 2: a submit call needs "req"/],
      [`${header}\n{"call":"capacityChanged","t":0,"views":[${view.replace('"a"', '"b"')}],"out":[]}`, /line 2: endpoint "b" is not in the header/],
      [`${header}\n{"call":"capacityChanged","t":0,"views":[${view}],"out":[]}\n{oops`, /line 3: not a JSON line/],
    ] as const) {
      const log = join(dir, 'damaged.jsonl');
      writeFileSync(log, body);
      const r = await sim('replay', log, '--config', cfg);
      expect(r.thrown).toBeUndefined();
      expect(r.code).toBe(2);
      expect(lines(r.stderr)).toHaveLength(1);
      expect(r.stderr).toContain(log);
      expect(r.stderr).toMatch(says);
    }
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
