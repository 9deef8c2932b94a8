import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, SMALL, tempDir, traceExperiment, TRACE_HEADER, write } from '../experiment/fixtures.js';
import { lines, sim } from './harness.js';

afterAll(cleanup);

const DIST_KEYS = ['mean', 'median', 'std', 'p50', 'p90', 'p95', 'p99'];

describe('sim run --json', () => {
  it('prints one JSON object per run with the documented keys, matching summary.json', async () => {
    const dir = tempDir();
    const out = tempDir();
    const r = await sim('run', write(dir, 'small.yaml', SMALL), '--json', '--out', out, '--no-report');
    expect(r.thrown).toBeUndefined();
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const objs = lines(r.stdout).map((l) => JSON.parse(l));
    expect(objs).toHaveLength(1);
    const o = objs[0];
    for (const k of ['name', 'seed', 'point', 'completed', 'rejected', 'metrics']) expect(o).toHaveProperty(k);
    expect(o.name).toBe('small');
    expect(o.seed).toBe(3);
    expect(o.point).toEqual({});
    expect(o.completed + o.rejected).toBe(30);
    for (const k of ['ttft_ms', 'tpot_ms', 'e2e_ms']) {
      expect(Object.keys(o.metrics[k]).sort()).toEqual([...DIST_KEYS].sort());
      for (const d of DIST_KEYS) expect(typeof o.metrics[k][d]).toBe('number');
      expect(o.metrics[k].p50).toBeLessThanOrEqual(o.metrics[k].p99);
    }
    expect(o.metrics.throughput_rps).toBeGreaterThan(0);
    expect(o.metrics.output_tokens_per_s).toBeGreaterThan(0);
    expect(o.metrics.slo_attainment).toBeGreaterThanOrEqual(0);
    expect(o.metrics.slo_attainment).toBeLessThanOrEqual(1);
    expect(typeof o.metrics.goodput_rps).toBe('number');
    // Goodput is the attained share of the throughput when nothing is rejected.
    if (o.rejected === 0) expect(o.metrics.goodput_rps).toBeCloseTo(o.metrics.slo_attainment * o.metrics.throughput_rps, 9);
    // The same numbers as the results file.
    const summary = JSON.parse(readFileSync(join(out, 'small', 'summary.json'), 'utf8'));
    const run = summary.runs[0];
    expect(o.completed).toBe(run.completed);
    expect(o.metrics.ttft_ms).toEqual(run.metrics.ttft_ms);
    expect(o.metrics.e2e_ms).toEqual(run.metrics.e2e_ms);
    expect(o.metrics.throughput_rps).toBe(run.metrics.throughput_rps);
  });

  it('slo_attainment and goodput are null without an SLO; rejected requests are counted', async () => {
    const dir = tempDir();
    write(dir, 'trace.csv', TRACE_HEADER + '0,100,20\n0.01,60000,10\n0.02,200,20\n');
    const file = write(dir, 'traced.yaml', traceExperiment('trace.csv'));
    const r = await sim('run', file, '--json', '--out', tempDir(), '--no-report');
    expect(r.code).toBe(0);
    const [o] = lines(r.stdout).map((l) => JSON.parse(l));
    expect(o.point).toEqual({});
    expect(o.completed).toBe(2);
    expect(o.rejected).toBe(1);
    expect(o.metrics.slo_attainment).toBeNull();
    expect(o.metrics.goodput_rps).toBeNull();
  });

  it('an SLO that rejected requests miss: attainment counts them as misses', async () => {
    const dir = tempDir();
    write(dir, 'trace.csv', TRACE_HEADER + '0,100,20\n0.01,60000,10\n0.02,200,20\n0.5,50,2\n');
    // Generous targets every completed request meets; the one rejected request is a miss.
    const file = write(dir, 'traced.yaml', traceExperiment('trace.csv', 'slo: {ttftMs: 10000, tpotMs: 10000}\n'));
    const r = await sim('run', file, '--json', '--out', tempDir(), '--no-report');
    const [o] = lines(r.stdout).map((l) => JSON.parse(l));
    expect(o.completed).toBe(3);
    expect(o.rejected).toBe(1);
    expect(o.metrics.slo_attainment).toBeCloseTo(3 / 4, 12);
  });

  it('several files: one object per file, in order', async () => {
    const dir = tempDir();
    const a = write(dir, 'a.yaml', SMALL);
    const b = write(dir, 'b.yaml', SMALL.replace('name: small', 'name: other').replace('seed: 3', 'seed: 9'));
    const r = await sim('run', a, b, '--json', '--out', tempDir(), '--no-report');
    expect(r.code).toBe(0);
    const objs = lines(r.stdout).map((l) => JSON.parse(l));
    expect(objs.map((o) => [o.name, o.seed])).toEqual([
      ['small', 3],
      ['other', 9],
    ]);
  });

  it('several files with a bad one: all are checked before any runs, nothing is written', async () => {
    const dir = tempDir();
    const out = tempDir();
    const a = write(dir, 'a.yaml', SMALL);
    const b = write(dir, 'b.yaml', SMALL.replace('name: small', 'name: other').replace('seed: 3', 'seed: -1'));
    const r = await sim('run', a, b, '--json', '--out', out, '--no-report');
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(new RegExp(`^error: ${b}: seed`))]);
    expect(r.stdout).toBe('');
    expect(readdirSync(out)).toEqual([]);
    // An empty --out is not the default root.
    expect((await sim('run', a, '--out', '')).stderr).toMatch(/^error: --out is empty/);
  });

  it('the table output names the results file', async () => {
    const dir = tempDir();
    const out = tempDir();
    const r = await sim('run', write(dir, 'small.yaml', SMALL), '--out', out, '--no-report');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(join(out, 'small', 'summary.json'));
    expect(r.stdout).toMatch(/TTFT med/);
  });
});
