import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, sim, smallExperiment, tempDir, writeExperiment } from './helpers.js';

const dir = tempDir();
beforeAll(ensureBuilt);

describe("a rerun and the user's files", () => {
  it("replaces the report's plots and leaves other files in plots/ where they are", () => {
    const file = writeExperiment(
      dir,
      'mine',
      smallExperiment('mine', { workload: { duration: 3, sources: [{ class: 'chat', dataset: 'sharegpt', rate: 4 }] }, sweep: { rates: [2, 4] } }),
    );
    const out = join(dir, 'out');
    expect(sim(['run', file, '--out', out]).code).toBe(0);
    const plots = join(out, 'mine', 'plots');
    const drawn = readdirSync(plots).sort();
    expect(drawn.length).toBeGreaterThan(0);
    writeFileSync(join(plots, 'my-annotated.svg'), '<svg/>');
    writeFileSync(join(plots, 'notes.txt'), 'mine');
    expect(sim(['run', file, '--out', out]).code).toBe(0);
    expect(readFileSync(join(plots, 'my-annotated.svg'), 'utf8')).toBe('<svg/>');
    expect(readFileSync(join(plots, 'notes.txt'), 'utf8')).toBe('mine');
    expect(readdirSync(plots).sort()).toEqual([...drawn, 'my-annotated.svg', 'notes.txt'].sort());
    expect(existsSync(join(out, 'mine', 'previous'))).toBe(false);
  }, 120_000);

  it('refuses two files of one command that would write the same results directory', () => {
    const a = writeExperiment(dir, 'twin', smallExperiment('twin', { workload: { duration: 2, sources: [{ class: 'chat', dataset: 'sharegpt', rate: 2 }] } }));
    mkdirSync(join(dir, 'copy'), { recursive: true });
    const b = writeExperiment(join(dir, 'copy'), 'twin', smallExperiment('twin', { seed: 9, workload: { duration: 2, sources: [{ class: 'chat', dataset: 'sharegpt', rate: 2 }] } }));
    const out = join(dir, 'twins');
    const r = sim(['run', a, b, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([`error: ${b}: writes ${join(out, 'twin')}, as ${a} does (both are named "twin"): give one of them another name or outputs.dir, or run them one at a time`]);
    expect(existsSync(out)).toBe(false);
  });
});

describe('merging the shards of a one-point experiment', () => {
  it('keeps its request log at the top, where a run of it writes it', async () => {
    const { runExperimentFile } = await import('../../src/experiment/run-experiment.js');
    const { mergeResults } = await import('../../src/experiment/merge.js');
    const file = writeExperiment(dir, 'one', smallExperiment('one', { workload: { duration: 2, sources: [{ class: 'chat', dataset: 'sharegpt', rate: 3 }] } }));
    const whole = await runExperimentFile(file, { resultsRoot: join(dir, 'one-whole'), workers: 1, requestsCsv: true });
    const shard = await runExperimentFile(file, { resultsRoot: join(dir, 'one-shard'), workers: 1, requestsCsv: true, shard: { index: 1, count: 1 } });
    const merged = mergeResults([shard.dir], join(dir, 'one-merged', 'one'));
    expect(merged.complete).toBe(true);
    expect(readFileSync(join(merged.dir, 'requests.csv'), 'utf8')).toBe(readFileSync(join(whole.dir, 'requests.csv'), 'utf8'));
  });
});

describe('a finished run under a shard, a resume of another version, or a merge', () => {
  const sweep4 = { workload: { duration: 2, sources: [{ class: 'chat', dataset: 'sharegpt', rate: 3 }] }, sweep: { rates: [1, 2, 3, 4] } };

  it('is kept in previous/ until the run that changes it finishes', async () => {
    const { runExperimentFile } = await import('../../src/experiment/run-experiment.js');
    const { readTree } = await import('./helpers.js');
    const file = writeExperiment(dir, 'kept', smallExperiment('kept', sweep4));
    const root = join(dir, 'kept-root');
    const done = await runExperimentFile(file, { resultsRoot: root, workers: 1 });
    expect(done.complete).toBe(true);
    const finished = readTree(done.dir);
    // A shard of it, interrupted after one of its two points: the finished run waits in previous/.
    const abort = new AbortController();
    const cut = await runExperimentFile(file, { resultsRoot: root, workers: 1, shard: { index: 1, count: 2 }, signal: abort.signal, onProgress: (p) => p.done >= 1 && abort.abort() });
    expect(cut.interrupted).toBe(true);
    expect(readTree(join(done.dir, 'previous'))).toEqual(finished);
    // Another version (a new seed), resumed into the same directory: its points replace the old
    // ones, none of which is left behind, and previous/ goes once it has finished cleanly.
    const edited = writeExperiment(dir, 'kept', smallExperiment('kept', { ...sweep4, seed: 11 }));
    const other = await runExperimentFile(edited, { resultsRoot: root, workers: 1, resume: true });
    expect(other.complete).toBe(true);
    expect(existsSync(join(done.dir, 'previous'))).toBe(false);
    const manifest = JSON.parse(readFileSync(join(done.dir, 'experiment.json'), 'utf8')) as { points: { id: string }[] };
    expect(readdirSync(join(done.dir, 'points')).sort()).toEqual(manifest.points.map((p) => `${p.id}.json`).sort());
  }, 120_000);
});

describe('a resume after a rerun that failed', () => {
  it('keeps the clean run set aside by the rerun until the resume finishes', async () => {
    const { runExperimentFile } = await import('../../src/experiment/run-experiment.js');
    const { readTree } = await import('./helpers.js');
    writeFileSync(join(dir, 'flaky.mjs'), "export default () => ({ name: 'flaky', select() { throw new Error('broken'); } });\n");
    const base = { workload: { duration: 2, sources: [{ class: 'chat', dataset: 'sharegpt', rate: 3 }] } };
    const file = writeExperiment(dir, 'flaky', smallExperiment('flaky', { ...base, sweep: { 'router.policy': ['random', 'least-request'] } }));
    const root = join(dir, 'flaky-root');
    const clean = await runExperimentFile(file, { resultsRoot: root, workers: 1 });
    const cleanTree = readTree(clean.dir);
    // A rerun in which one point fails: the clean run waits in previous/.
    writeExperiment(dir, 'flaky', smallExperiment('flaky', { ...base, sweep: { 'router.policy': ['random', './flaky.mjs'] } }));
    const failed = await runExperimentFile(file, { resultsRoot: root, workers: 1 });
    expect(failed.failures).toHaveLength(1);
    expect(readTree(join(clean.dir, 'previous'))).toEqual(cleanTree);
    // A resume reruns the failed point (here it fails again): the clean run is still there.
    await runExperimentFile(file, { resultsRoot: root, workers: 1, resume: true });
    expect(readTree(join(clean.dir, 'previous'))).toEqual(cleanTree);
  }, 120_000);
});
