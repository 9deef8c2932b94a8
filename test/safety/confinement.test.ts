import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateManifest } from '../../src/experiment/results-dir.js';
import { unsafeNameReason } from '../../src/experiment/safe-name.js';
import { ensureBuilt, sim, smallExperiment, tempDir, writeExperiment } from '../sweep/helpers.js';

const dir = tempDir('routesim-confine-');
beforeAll(ensureBuilt);

/** Exit 2 and exactly one line on stderr, starting "error: ", no stack trace. */
function oneLine(r: { code: number; stderr: string }, pattern?: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^error: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  if (pattern) expect(r.stderr).toMatch(pattern);
}

const tiny = (name: string, extra: Record<string, unknown> = {}) =>
  smallExperiment(name, { workload: { duration: 3, sources: [{ class: 'chat', dataset: 'sharegpt', rate: 4 }] }, ...extra });

describe('names that become file names', () => {
  it('accepts the safe alphabet and refuses dots-only, separators and overlong names', () => {
    for (const ok of ['quickstart', 'a.b-c_d', '.hidden-but-safe', 'x'.repeat(160)]) expect(unsafeNameReason(ok)).toBeUndefined();
    for (const bad of ['.', '..', '...', '', '../x', 'a/b', 'a\\b', 'a b', 'x'.repeat(161), 'nul\u0000', 7]) expect(unsafeNameReason(bad)).toBeDefined();
  });

  it('refuses an experiment named "." or ".." before anything is written', () => {
    for (const name of ['.', '..']) {
      const out = join(dir, `dots-${name.length}`);
      const file = writeExperiment(dir, `dots-${name.length}`, tiny(name));
      oneLine(sim(['run', file, '--out', out, '--no-report']), /name .*may not be "\." or "\.\."/);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('checks every manifest read back: unsafe names or ids, duplicate ids', () => {
    const m = (over: Record<string, unknown>) => ({ name: 'x', seed: 1, points: [{ id: 'a-1', point: {} }], ...over });
    expect(validateManifest(m({}), 'e.json').points).toHaveLength(1);
    expect(() => validateManifest(m({ name: '../../escaped' }), 'e.json')).toThrow(/name "\.\.\/\.\.\/escaped" may use letters/);
    expect(() => validateManifest(m({ points: [{ id: '../../../pwned', point: {} }] }), 'e.json')).toThrow(/point id "\.\.\/\.\.\/\.\.\/pwned" may use letters/);
    expect(() => validateManifest(m({ points: [{ id: 'a', point: {} }, { id: 'a', point: {} }] }), 'e.json')).toThrow(/appears twice/);
    expect(() => validateManifest(m({ points: 'all' }), 'e.json')).toThrow(/points must be a list/);
    expect(() => validateManifest([], 'e.json')).toThrow(/expected a JSON object/);
  });
});

describe('writes and deletes stay inside the results directory', () => {
  it('refuses a directory holding someone else\'s files, and leaves them alone', () => {
    const thesis = join(dir, 'thesis');
    mkdirSync(thesis);
    writeFileSync(join(thesis, 'thesis.tex'), '\\documentclass{article}');
    const file = writeExperiment(dir, 'into-thesis', tiny('into-thesis', { outputs: { dir: 'thesis' } }));
    oneLine(sim(['run', file, '--no-report']), /thesis: holds files that are not routesim results \(thesis\.tex\)/);
    expect(readdirSync(thesis)).toEqual(['thesis.tex']);
  });

  it('resolves outputs.dir against the experiment file, not the working directory', () => {
    const sub = join(dir, 'exp-home');
    mkdirSync(sub);
    const file = writeExperiment(sub, 'rel', tiny('rel', { outputs: { dir: 'my-results' } }));
    const elsewhere = join(dir, 'cwd-elsewhere');
    mkdirSync(elsewhere);
    const r = sim(['run', file, '--no-report', '--json'], elsewhere);
    expect(r.code).toBe(0);
    expect(existsSync(join(sub, 'my-results', 'summary.json'))).toBe(true);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('refuses a symlinked points/ without touching the link target', () => {
    const out = join(dir, 'linked');
    const file = writeExperiment(dir, 'linked', tiny('linked'));
    expect(sim(['run', file, '--out', out, '--no-report', '--json']).code).toBe(0);
    const target = join(dir, 'precious');
    mkdirSync(target);
    writeFileSync(join(target, 'keep.json'), '{}');
    const points = join(out, 'linked', 'points');
    for (const f of readdirSync(points)) writeFileSync(join(target, f), readFileSync(join(points, f)));
    const before = readdirSync(target).sort();
    // Replace points/ by a link to the precious directory.
    rmSync(points, { recursive: true });
    symlinkSync(target, points);
    oneLine(sim(['run', file, '--out', out, '--no-report']), /points directory is a symbolic link/);
    expect(readdirSync(target).sort()).toEqual(before);
    // A symlinked results directory is refused the same way.
    const exp2 = join(dir, 'linked2');
    mkdirSync(exp2);
    symlinkSync(target, join(exp2, 'linked'));
    oneLine(sim(['run', file, '--out', exp2, '--no-report']), /results directory is a symbolic link/);
    expect(readdirSync(target).sort()).toEqual(before);
  });

  it('a rerun deletes only files it wrote: points of the old and new manifest, not the user\'s', () => {
    const out = join(dir, 'rerun');
    const v1 = writeExperiment(dir, 'rerun', tiny('rerun', { sweep: { 'router.policy': ['random', 'least-request'] } }));
    expect(sim(['run', v1, '--out', out, '--no-report', '--json']).code).toBe(0);
    const exp = join(out, 'rerun');
    const oldIds = readdirSync(join(exp, 'points')).sort();
    expect(oldIds).toHaveLength(2);
    writeFileSync(join(exp, 'notes.txt'), 'mine');
    writeFileSync(join(exp, 'points', 'my-analysis.json'), '{"mine": true}');
    // The sweep changes: the point of "random" is gone from the new manifest.
    const v2 = writeExperiment(dir, 'rerun', tiny('rerun', { sweep: { 'router.policy': ['least-request', 'prefix-cache'] } }));
    expect(sim(['run', v2, '--out', out, '--no-report', '--json']).code).toBe(0);
    const now = readdirSync(join(exp, 'points')).sort();
    expect(now).toContain('my-analysis.json');
    expect(now.filter((f) => f.startsWith('random-'))).toEqual([]);
    expect(now.filter((f) => f.endsWith('.json') && f !== 'my-analysis.json')).toHaveLength(2);
    expect(readFileSync(join(exp, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('results written before manifests existed (summary.json only) are still ours to replace', () => {
    const out = join(dir, 'legacy');
    const file = writeExperiment(dir, 'legacy', tiny('legacy'));
    expect(sim(['run', file, '--out', out, '--no-report', '--json']).code).toBe(0);
    rmSync(join(out, 'legacy', 'experiment.json'));
    expect(sim(['run', file, '--out', out, '--no-report', '--json']).code).toBe(0);
    expect(existsSync(join(out, 'legacy', 'experiment.json'))).toBe(true);
  });

  it('a file where the results root should be, or a file --out: one line', () => {
    const file = writeExperiment(dir, 'in-the-way', tiny('in-the-way'));
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'x');
    oneLine(sim(['run', file, '--out', blocker, '--no-report']), /a file is in the way/);
    expect(readFileSync(blocker, 'utf8')).toBe('x');
  });
});

describe('sim merge validates every manifest and point before writing', () => {
  const shards = () => {
    const file = writeExperiment(dir, 'merged', tiny('merged', { sweep: { 'router.policy': ['random', 'least-request'] } }));
    const a = join(dir, `shard-a-${Math.random().toString(36).slice(2)}`);
    const b = join(dir, `shard-b-${Math.random().toString(36).slice(2)}`);
    expect(sim(['run', file, '--out', a, '--shard', '1/2', '--no-report', '--json']).code).toBe(0);
    expect(sim(['run', file, '--out', b, '--shard', '2/2', '--no-report', '--json']).code).toBe(0);
    return [join(a, 'merged'), join(b, 'merged')];
  };
  const edit = (path: string, f: (m: Record<string, unknown> & { points: { id: string }[] }) => void) => {
    const m = JSON.parse(readFileSync(path, 'utf8'));
    f(m);
    writeFileSync(path, JSON.stringify(m));
  };

  it('refuses a crafted name or point id, writing nothing anywhere', () => {
    const [a, b] = shards();
    const dest = join(dir, 'merge-dest', 'deep');
    edit(join(a, 'experiment.json'), (m) => (m.name = '../../escaped'));
    oneLine(sim(['merge', a, b, '--out', dest, '--no-report']), /name "\.\.\/\.\.\/escaped" may use letters/);
    expect(existsSync(join(dir, 'merge-dest'))).toBe(false);
    expect(existsSync(join(dir, 'escaped'))).toBe(false);
    edit(join(a, 'experiment.json'), (m) => {
      m.name = 'merged';
      m.points[0].id = '../../../pwned';
    });
    oneLine(sim(['merge', a, b, '--out', dest, '--no-report']), /points\[0\]\.id/);
    expect(existsSync(join(dir, 'merge-dest'))).toBe(false);
    expect(existsSync(join(dir, 'pwned.json'))).toBe(false);
  });

  it('refuses a point file that is JSON but not a result; report and compare too', () => {
    const [a, b] = shards();
    const point = readdirSync(join(a, 'points')).find((f) => f.endsWith('.json'))!;
    writeFileSync(join(a, 'points', point), JSON.stringify({ id: point.replace(/\.json$/, ''), point: {} }));
    const dest = join(dir, 'merge-bad-point');
    oneLine(sim(['merge', a, b, '--out', dest, '--no-report']), /not a point result of this experiment: no "metrics" object/);
    expect(existsSync(dest)).toBe(false);
    oneLine(sim(['report', a]), /not a point result/);
    oneLine(sim(['compare', a, b]), /not a point result/);
    writeFileSync(join(a, 'experiment.json'), '[1, 2]');
    oneLine(sim(['report', a]), /not an experiment manifest/);
  });
});
