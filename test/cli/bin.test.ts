/**
 * The built CLI as users run it (`node dist/cli/main.js`, which `npm install` builds): process
 * exit codes, stderr without stack traces, and byte-identical results whatever the number of
 * worker threads (sweeps run their points on worker threads, which load dist/ too).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, listFiles, SMALL, tempDir, write } from '../experiment/fixtures.js';

const CLI = resolve(__dirname, '../../dist/cli/main.js');

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm install does it)`);
});
afterAll(cleanup);

describe('node dist/cli/main.js', () => {
  it('a sweep run twice, on 1 and on 2 worker threads, gives byte-identical results', () => {
    const dir = tempDir();
    const file = write(dir, 'sweep.yaml', `${SMALL}sweep:\n  router.policy: [random, least-request, round-robin]\n`);
    const outs = [tempDir(), tempDir()];
    const runs = [
      run('run', file, '--json', '--no-report', '--workers', '1', '--out', outs[0]),
      run('run', file, '--json', '--no-report', '--workers', '2', '--out', outs[1]),
    ];
    for (const r of runs) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
    // stdout: one object per point, in sweep order, identical across runs.
    const objs = runs[0].stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(objs.map((o) => o.point)).toEqual([
      { 'router.policy': 'random' },
      { 'router.policy': 'least-request' },
      { 'router.policy': 'round-robin' },
    ]);
    expect(runs[1].stdout).toBe(runs[0].stdout);
    const dirs = outs.map((o) => join(o, 'small'));
    const files = listFiles(dirs[0]);
    expect(files).toContain('summary.json');
    expect(files.filter((f) => f.startsWith('points/'))).toHaveLength(3);
    for (const d of dirs.slice(1)) {
      expect(listFiles(d)).toEqual(files);
      for (const f of files) expect(readFileSync(join(d, f), 'utf8'), f).toBe(readFileSync(join(dirs[0], f), 'utf8'));
    }
    const summary = JSON.parse(readFileSync(join(dirs[0], 'summary.json'), 'utf8'));
    expect(summary.runs.map((r: { id: string }) => r.id)).toEqual(objs.map((o) => o.id));
  });

  it('bad input: exit code 2, one line on stderr, no stack trace, nothing on stdout', () => {
    const dir = tempDir();
    const file = write(dir, 'bad.yaml', SMALL.replace('gpu: H100-SXM', 'gpu: H900'));
    const out = tempDir();
    const r = run('run', file, '--out', out, '--no-report');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/bad\.yaml: fleet.*line \d+.*unknown GPU "H900"/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(listFiles(out)).toEqual([]);
  });

  it('usage errors (unknown option, missing argument) exit 2, not 1 (compare uses 1 for "worse")', () => {
    expect(run('compare', '--bogus', 'a', 'b').code).toBe(2);
    expect(run('run').code).toBe(2);
    expect(run('--version').code).toBe(0);
  });

  it('validate: 0 for a good file, 2 for a bad one', () => {
    const dir = tempDir();
    const good = run('validate', write(dir, 'good.yaml', SMALL));
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/good\.yaml: ok \(1 point\)/);
    const bad = run('validate', write(dir, 'bad.yaml', SMALL.replace('rate: 20', 'rate: -20')));
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/bad\.yaml: workload\.sources.*rate.*line \d+/);
  });
});
