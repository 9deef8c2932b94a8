import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt, readTree, sim, smallExperiment, tempDir, writeExperiment } from './helpers.js';

const dir = tempDir('routesim-cli-');
beforeAll(ensureBuilt);

const oneLine = (r: { code: number; stderr: string }) => {
  expect(r.code).toBe(2);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^error: /);
};

describe('sim run: sweeps from the command line', () => {
  it('bad flags and bad sweeps: one line, exit 2, nothing written', () => {
    const file = writeExperiment(dir, 'flags', smallExperiment('flags', { sweep: { 'router.policy': ['random', 'least-request'] } }));
    const out = join(dir, 'flags-out');
    for (const flags of [['--shard', '0/3'], ['--shard', '4/3'], ['--shard', 'two'], ['--workers', '0'], ['--workers', 'many']]) {
      const r = sim(['run', file, '--out', out, ...flags]);
      oneLine(r);
      expect(r.stderr).toMatch(flags[0] === '--shard' ? /--shard/ : /--workers/);
    }
    const typo = writeExperiment(dir, 'typo', smallExperiment('typo', { sweep: { 'router.polcy': ['random'] } }));
    const r = sim(['run', typo, '--out', out]);
    oneLine(r);
    expect(r.stderr).toMatch(/typo\.yaml: sweep\.router\.polcy \(line \d+\): sweep path "router\.polcy" does not exist in the schema/);
    const empty = writeExperiment(dir, 'empty', smallExperiment('empty', { sweep: { rates: [] } }));
    oneLine(sim(['run', empty, '--out', out]));
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a swept value that is bad wherever it is used, before anything is written', () => {
    const file = writeExperiment(
      dir,
      'some-bad',
      smallExperiment('some-bad', { workload: { duration: 2, sources: [{ class: 'chat', dataset: 'sharegpt', rate: 2 }] }, sweep: { 'router.policy': ['random', 'least-reqest'] } }),
    );
    const out = join(dir, 'some-bad-out');
    const r = sim(['run', file, '--out', out, '--no-report']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: .*sweep\.router\.policy\.1 \(line \d+\): unknown routing policy "least-reqest"/)]);
    expect(existsSync(out)).toBe(false);
  });

  it('says before the run which combinations have bad input; they fail, the others run', () => {
    // Llama-2-13B does not fit on one A10; every other combination runs.
    const file = writeExperiment(
      dir,
      'some-combos',
      smallExperiment('some-combos', {
        workload: { duration: 2, sources: [{ class: 'chat', dataset: 'sharegpt', rate: 2 }] },
        sweep: { model: ['Llama-3.1-8B', 'Llama-2-13B'], 'fleet[0].gpu': ['H100-SXM', 'A10'] },
      }),
    );
    const r = sim(['run', file, '--out', join(dir, 'some-combos-out'), '--no-report']);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(/^warning: 1 of 4 points have bad input and will be recorded as failed; the first: .*Llama-2-13B does not fit on 1x A10/);
  });

  it('writes the report after a run unless --no-report', () => {
    const file = writeExperiment(dir, 'reported', smallExperiment('reported', { sweep: { rates: [3, 6] } }));
    const r = sim(['run', file, '--out', join(dir, 'with'), '--workers', '2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Report:\s+\S+reported\/report\.html/);
    expect(readdirSync(join(dir, 'with', 'reported', 'plots')).sort()).toEqual(['attainment-vs-rate.svg', 'tpot-cdf.svg', 'ttft-cdf.svg', 'ttft-over-time.svg']);
    const quiet = sim(['run', file, '--out', join(dir, 'without'), '--no-report', '--json']);
    expect(quiet.code).toBe(0);
    expect(quiet.stdout.trim().split('\n').map((l) => JSON.parse(l).point)).toEqual([{ rate: 3 }, { rate: 6 }]);
    expect(existsSync(join(dir, 'without', 'reported', 'report.html'))).toBe(false);
  });

  it('exits 1 after the sweep when points failed, listing them', () => {
    const file = writeExperiment(dir, 'flaky', smallExperiment('flaky', { router: { policy: './flaky.mjs' }, sweep: { 'router.options.failAfter': [0, 5] } }));
    // The policy the experiment names, next to it: gives up after `failAfter` requests.
    writeFileSync(
      join(dir, 'flaky.mjs'),
      `export default (o) => { let n = 0; return { name: 'flaky', select(_r, eps) { if (o.failAfter && ++n > o.failAfter) throw new Error('gave up'); return eps[0]; } }; };\n`,
    );
    const r = sim(['run', file, '--out', join(dir, 'flaky-out'), '--json', '--no-report']);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.error ?? 'ok')).toEqual(['ok', 'routing policy "flaky" failed in select for request 5: ./flaky.mjs:1:122: select threw Error: gave up']);
    expect(r.stderr).toMatch(/^error: 1 of 2 points failed \(recorded in .*flaky-out\/flaky\/points\):\n {2}5-[0-9a-f]{10}: routing policy "flaky" failed/);
    expect(existsSync(join(dir, 'flaky-out', 'flaky', 'summary.csv'))).toBe(true);
  });

  it('shards and sim merge give the results of one run', () => {
    const file = writeExperiment(dir, 'sharded', smallExperiment('sharded', { sweep: { 'router.policy': ['random', 'least-request', 'prefix-cache'], rates: [3, 6] } }));
    expect(sim(['run', file, '--out', join(dir, 'whole'), '--workers', '2']).code).toBe(0);
    for (const k of [1, 2, 3]) {
      const r = sim(['run', file, '--out', join(dir, `part-${k}`), '--shard', `${k}/3`, '--json']);
      expect(r.code).toBe(0);
      expect(r.stdout.trim().split('\n')).toHaveLength(2);
      expect(r.stderr).toMatch(new RegExp(`shard ${k}/3 done: 2 points`));
    }
    const shards = [1, 2, 3].map((k) => join(dir, `part-${k}`, 'sharded'));
    const incomplete = sim(['merge', ...shards.slice(0, 2), '--out', join(dir, 'merged-2')]);
    expect(incomplete.code).toBe(1);
    expect(incomplete.stderr).toMatch(/2 points have no results in any shard/);
    const merged = sim(['merge', ...shards, '--out', join(dir, 'merged')]);
    expect(merged.code).toBe(0);
    expect(readTree(join(dir, 'merged', 'sharded'))).toEqual(readTree(join(dir, 'whole', 'sharded')));
    const other = writeExperiment(dir, 'other', smallExperiment('other'));
    expect(sim(['run', other, '--out', join(dir, 'o')]).code).toBe(0);
    oneLine(sim(['merge', shards[0], join(dir, 'o', 'other'), '--out', join(dir, 'mixed')]));
  });

  it('Ctrl-C stops cleanly: finished points kept, no summary, exit 130; --resume finishes with the same bytes', async () => {
    const exp = smallExperiment('interrupt', {
      workload: { duration: 3000, sources: [{ class: 'chat', dataset: 'sharegpt', rate: 6 }] },
      sweep: { 'router.policy': ['random', 'least-request', 'prefix-cache', 'round-robin'], rates: [5, 6] },
    });
    const file = writeExperiment(dir, 'interrupt', exp);
    const out = join(dir, 'int');
    const points = join(out, 'interrupt', 'points');
    const child = spawn(process.execPath, [CLI, 'run', file, '--out', out, '--workers', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (existsSync(points) && readdirSync(points).some((f) => /-[0-9a-f]{10}\.json$/.test(f))) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGINT');
    const code = await exited;
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted: \d of 8 points finished in .*; no summary written\. Rerun with --resume to finish\./);
    const kept = readdirSync(points);
    const done = kept.filter((f) => f.endsWith('.json'));
    expect(done.length).toBeGreaterThan(0);
    expect(done.length).toBeLessThan(8);
    expect(kept.filter((f) => !f.endsWith('.json'))).toEqual([]);
    for (const f of done) expect(JSON.parse(readFileSync(join(points, f), 'utf8')).summary).toBeDefined();
    expect(existsSync(join(out, 'interrupt', 'summary.csv'))).toBe(false);
    expect(existsSync(join(out, 'interrupt', 'report.html'))).toBe(false);

    const resumed = sim(['run', file, '--out', out, '--workers', '2', '--resume']);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`resumed: ${done.length} points? already done`));
    const whole = sim(['run', file, '--out', join(dir, 'int-whole'), '--workers', '1']);
    expect(whole.code).toBe(0);
    expect(readTree(join(out, 'interrupt'))).toEqual(readTree(join(dir, 'int-whole', 'interrupt')));
  });
});
