import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { mergeResults } from '../../src/experiment/merge.js';
import { runExperimentFile } from '../../src/experiment/run-experiment.js';
import { ensureBuilt, readTree, smallExperiment, tempDir, writeExperiment } from './helpers.js';

const dir = tempDir();
const sweep = { 'router.policy': ['random', 'least-request', 'prefix-cache'], rates: [4, 8] };
let file: string;
let reference: Record<string, string>;

beforeAll(async () => {
  ensureBuilt();
  file = writeExperiment(dir, 'grid', smallExperiment('grid', { sweep }));
  const run = await runExperimentFile(file, { resultsRoot: join(dir, 'reference'), workers: 1, requestsCsv: true });
  expect(run.complete).toBe(true);
  reference = readTree(run.dir);
}, 120_000);

describe('running a sweep', () => {
  it('writes a manifest, one file per point, a per-request CSV per point and the summary', () => {
    const names = Object.keys(reference);
    expect(names).toContain('experiment.json');
    expect(names).toContain('summary.csv');
    expect(names).toContain('summary.json');
    expect(names.filter((n) => /^points\/[^/]+\.json$/.test(n))).toHaveLength(6);
    expect(names.filter((n) => n.endsWith('.requests.csv'))).toHaveLength(6);
    const csv = reference['summary.csv'].trim().split('\n');
    expect(csv[0]).toMatch(/^id,router\.policy,rate,completed,/);
    expect(csv).toHaveLength(7);
    const point = JSON.parse(reference[names.find((n) => n.startsWith('points/') && n.endsWith('.json'))!]);
    expect(point.summary.cdf.ttft_ms).toHaveLength(101);
    expect(point.summary.cdf.tpot_ms).toHaveLength(101);
  });

  it('gives byte-identical results with 1 and 2 worker threads', async () => {
    const run = await runExperimentFile(file, { resultsRoot: join(dir, 'two'), workers: 2, requestsCsv: true });
    expect(readTree(run.dir)).toEqual(reference);
  });

  it('resumes after an interruption: finished points kept, no summary until done, same bytes at the end', async () => {
    const root = join(dir, 'interrupted');
    const abort = new AbortController();
    const first = await runExperimentFile(file, {
      resultsRoot: root,
      workers: 2,
      requestsCsv: true,
      signal: abort.signal,
      // Progress reports each completion as it happens (onPoint waits for sweep order).
      onProgress: (p) => {
        if (p.done >= 2) abort.abort();
      },
    });
    expect(first.interrupted).toBe(true);
    expect(first.complete).toBe(false);
    const out = first.dir;
    expect(existsSync(join(out, 'summary.csv'))).toBe(false);
    expect(existsSync(join(out, 'summary.json'))).toBe(false);
    const kept = readdirSync(join(out, 'points')).filter((f) => f.endsWith('.json'));
    expect(kept.length).toBeGreaterThanOrEqual(2);
    expect(kept.length).toBeLessThan(6);
    // What was kept is whole, and what a point wrote before it finished is gone.
    for (const f of kept) expect(readFileSync(join(out, 'points', f), 'utf8')).toBe(reference[`points/${f}`]);
    expect(readdirSync(join(out, 'points')).filter((f) => f.includes('.partial') || f.includes('.tmp-'))).toEqual([]);

    let resumedAt = -1;
    const second = await runExperimentFile(file, { resultsRoot: root, workers: 2, requestsCsv: true, resume: true, onStart: (s) => (resumedAt = s.resumed) });
    expect(resumedAt).toBe(kept.length);
    expect(second.resumed).toBe(kept.length);
    expect(second.complete).toBe(true);
    expect(readTree(out)).toEqual(reference);
  });

  it('a second run keeps the finished first one in previous/ until it finishes itself', async () => {
    const root = join(dir, 'second');
    const done = await runExperimentFile(file, { resultsRoot: root, workers: 2, requestsCsv: true });
    expect(done.complete).toBe(true);
    const out = done.dir;
    const abort = new AbortController();
    const cut = await runExperimentFile(file, {
      resultsRoot: root,
      workers: 2,
      requestsCsv: true,
      signal: abort.signal,
      onProgress: (p) => {
        if (p.done >= 1) abort.abort();
      },
    });
    expect(cut.interrupted).toBe(true);
    expect(cut.previousKept).toBe(join(out, 'previous'));
    // The first run, whole, under previous/; nothing at the top looks complete.
    expect(readTree(join(out, 'previous'))).toEqual(reference);
    expect(existsSync(join(out, 'summary.json'))).toBe(false);
    // Another interrupted attempt (no summary at the top to set aside) keeps the same previous/.
    const abort2 = new AbortController();
    await runExperimentFile(file, { resultsRoot: root, workers: 2, requestsCsv: true, signal: abort2.signal, onProgress: (p) => p.done >= 1 && abort2.abort() });
    expect(readTree(join(out, 'previous'))).toEqual(reference);
    // A run that finishes replaces it: previous/ is gone and the top holds the same bytes.
    const last = await runExperimentFile(file, { resultsRoot: root, workers: 2, requestsCsv: true });
    expect(last.previousKept).toBeUndefined();
    expect(existsSync(join(out, 'previous'))).toBe(false);
    expect(readTree(out)).toEqual(reference);
  });

  it('a rerun that cannot set the finished run aside changes nothing: the run stays whole at the top, and the next rerun works', async () => {
    const root = join(dir, 'blocked');
    const done = await runExperimentFile(file, { resultsRoot: root, workers: 2, requestsCsv: true });
    const out = done.dir;
    // Something in previous/ that is not a run we set aside, in the way of the third point's record.
    const third = readdirSync(join(out, 'points')).filter((f) => f.endsWith('.json')).sort()[2];
    mkdirSync(join(out, 'previous', 'points', third, 'inside'), { recursive: true });
    await expect(runExperimentFile(file, { resultsRoot: root, workers: 2, requestsCsv: true })).rejects.toThrow(/nothing was changed, the finished run is still in/);
    expect(readTree(out, ['previous'])).toEqual(reference);
    expect(existsSync(join(out, 'previous', 'experiment.json'))).toBe(false);
    expect(readdirSync(join(out, 'previous', 'points'))).toEqual([third]);
    rmSync(join(out, 'previous'), { recursive: true });
    const again = await runExperimentFile(file, { resultsRoot: root, workers: 2, requestsCsv: true });
    expect(again.complete).toBe(true);
    expect(readTree(out)).toEqual(reference);
  });

  it('resumes after a crash that left temporary files and lost some points', async () => {
    const root = join(dir, 'crashed');
    const run = await runExperimentFile(file, { resultsRoot: root, workers: 2, requestsCsv: true });
    const points = join(run.dir, 'points');
    // A killed process: no summary, two points never written, leftovers of writes in progress.
    rmSync(join(run.dir, 'summary.csv'));
    rmSync(join(run.dir, 'summary.json'));
    const files = readdirSync(points).filter((f) => /^[^.]+-[0-9a-f]{10}\.json$/.test(f) || f.endsWith('.json'));
    const jsons = files.filter((f) => !f.endsWith('.requests.csv'));
    for (const f of jsons.slice(0, 2)) {
      rmSync(join(points, f));
      rmSync(join(points, f.replace(/\.json$/, '.requests.csv')));
    }
    writeFileSync(join(points, `${jsons[0]}.tmp-99999`), '{"half": ');
    writeFileSync(join(points, `${jsons[0].replace(/\.json$/, '.requests.csv')}.partial`), 'id,class\n1,');
    // A corrupt record counts as not done.
    writeFileSync(join(points, jsons[2]), '{"truncated');
    const again = await runExperimentFile(file, { resultsRoot: root, workers: 2, requestsCsv: true, resume: true });
    expect(again.resumed).toBe(3);
    expect(readTree(run.dir)).toEqual(reference);
  });

  it('records a failing point with its error and finishes the others', async () => {
    // A policy that gives up after `failAfter` requests: a run-time failure of some points only.
    writeFileSync(
      join(dir, 'flaky.mjs'),
      `export default (o) => { let n = 0; return { name: 'flaky', select(_r, eps) { if (o.failAfter && ++n > o.failAfter) throw new Error('gave up'); return eps[0]; } }; };\n`,
    );
    const bad = writeExperiment(
      dir,
      'partly-bad',
      smallExperiment('partly-bad', {
        router: { policy: './flaky.mjs', options: { failAfter: 0 } },
        sweep: { 'router.options.failAfter': [0, 10], rates: [4, 8] },
      }),
    );
    const run = await runExperimentFile(bad, { resultsRoot: join(dir, 'bad'), workers: 2 });
    expect(run.complete).toBe(true);
    expect(run.results.map((r) => r.point)).toEqual([
      { 'router.options.failAfter': 0, rate: 4 },
      { 'router.options.failAfter': 0, rate: 8 },
    ]);
    expect(run.failures.map((f) => f.point)).toEqual([
      { 'router.options.failAfter': 10, rate: 4 },
      { 'router.options.failAfter': 10, rate: 8 },
    ]);
    for (const f of run.failures) {
      expect(f.error).toBe('routing policy "flaky" failed in select for request 10: ./flaky.mjs:1:122: select threw Error: gave up');
      const stored = JSON.parse(readFileSync(join(run.dir, 'points', `${f.id}.json`), 'utf8'));
      expect(stored.error).toBe(f.error);
    }
    expect(Object.keys(run.stacks)).toEqual([]); // an expected kind of failure: no stack trace
    const csv = readFileSync(join(run.dir, 'summary.csv'), 'utf8').trim().split('\n');
    expect(csv[0].endsWith(',error')).toBe(true);
    expect(csv[3]).toMatch(/^10-4-[0-9a-f]+,10,4,,+"routing policy ""flaky"" failed in select/);
    // A resumed run keeps the good points and retries the failed ones (which fail again: deterministic).
    const again = await runExperimentFile(bad, { resultsRoot: join(dir, 'bad'), workers: 2, resume: true });
    expect(again.resumed).toBe(2);
    expect(again.failures).toHaveLength(2);
  });

  it('runs shards that merge into exactly the results of one machine', async () => {
    const shards = [];
    for (let k = 1; k <= 4; k++) {
      const run = await runExperimentFile(file, { resultsRoot: join(dir, `shard-${k}`), workers: 1, requestsCsv: true, shard: { index: k, count: 4 } });
      expect(run.complete).toBe(false);
      expect(existsSync(join(run.dir, 'summary.csv'))).toBe(false);
      shards.push(run.dir);
    }
    const partial = mergeResults(shards.slice(0, 3), join(dir, 'merged-partial', 'grid'));
    expect(partial.complete).toBe(false);
    expect(partial.missing).toHaveLength(1);
    expect(existsSync(join(dir, 'merged-partial', 'grid', 'summary.csv'))).toBe(false);
    const merged = mergeResults(shards, join(dir, 'merged', 'grid'));
    expect(merged.complete).toBe(true);
    expect(readTree(merged.dir)).toEqual(reference);
  });

  it('shards sharing one directory complete it when the last one finishes', async () => {
    const root = join(dir, 'shared');
    const a = await runExperimentFile(file, { resultsRoot: root, workers: 2, requestsCsv: true, shard: { index: 1, count: 2 } });
    expect(a.complete).toBe(false);
    const b = await runExperimentFile(file, { resultsRoot: root, workers: 2, requestsCsv: true, shard: { index: 2, count: 2 } });
    expect(b.complete).toBe(true);
    expect(readTree(b.dir)).toEqual(reference);
  });
});
