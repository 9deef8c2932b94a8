/**
 * The job array of `sim slurm submit`, run without Slurm: the script written by --dry-run is run
 * with bash once per array task, with the variables Slurm sets. One task is killed once its first
 * point is written (a crash or a preemption); the script's retry reruns it with --resume, which
 * keeps that point. `sim slurm merge` lists what is missing until every shard is done, then
 * writes exactly the bytes of a one-machine run. Plans: the same, one pass per stage.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, listFiles, SMALL, tempDir, write } from '../experiment/fixtures.js';

const CLI = resolve(__dirname, '../../dist/cli/main.js');
const PLAN = resolve(__dirname, 'fixtures/small-plan.yaml');

function sim(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs array task `task` of the script as Slurm would: bash, with the array variables set. */
function task(script: string, task: number, env: Record<string, string> = {}) {
  const r = spawnSync('bash', [script], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, SLURM_ARRAY_TASK_ID: String(task), SLURM_CPUS_PER_TASK: '1', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every file under `dir`, by relative path, with its bytes. */
function tree(dir: string): Record<string, string> {
  return Object.fromEntries(listFiles(dir).map((f) => [f, readFileSync(join(dir, f), 'latin1')]));
}

/**
 * A `node` that kills the run of shard 2 the first time, once a point file has appeared: a task
 * that dies mid-way. Later calls, and other shards, run the real node.
 */
function killingNode(binDir: string, stateDir: string, pointsDir: string): void {
  mkdirSync(binDir, { recursive: true });
  const shim = join(binDir, 'node');
  writeFileSync(
    shim,
    `#!/bin/bash
if [[ " $* " == *" --shard 2/2 "* ]] && [ ! -e '${stateDir}/killed' ]; then
  touch '${stateDir}/killed'
  '${process.execPath}' "$@" & pid=$!
  until compgen -G '${pointsDir}/*.json' > /dev/null || ! kill -0 $pid 2>/dev/null; do sleep 0.02; done
  kill -9 $pid; wait $pid; exit 137
fi
exec '${process.execPath}' "$@"
`,
  );
  chmodSync(shim, 0o755);
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build`);
});
afterAll(cleanup);

describe('a sweep as a job array, run task by task', () => {
  it('retries a killed task with --resume, lists what is missing, and merges to the one-machine bytes', { timeout: 180_000 }, () => {
    const dir = tempDir();
    const file = write(
      dir,
      'sweep.yaml',
      `${SMALL.replace('name: small', 'name: local-array').replace('requests: 30', 'requests: 3000')}sweep:\n  router.policy: [random, least-request, round-robin, prefix-cache]\n`,
    );
    const single = sim(dir, 'run', file, '--workers', '1', '--out', join(dir, 'single'), '--json');
    expect(single.code).toBe(0);

    const job = join(dir, 'job');
    const submit = sim(dir, 'slurm', 'submit', file, '--shards', '2', '--dir', job, '--time', '00:10:00', '--dry-run');
    expect(submit.stderr).toBe('');
    expect(submit.code).toBe(0);
    const script = join(job, 'array.sbatch');
    expect(readFileSync(script, 'utf8')).toContain('#SBATCH --array=1-2');

    // Nothing ran yet: every shard is missing, and the merge writes nothing.
    let merge = sim(dir, 'slurm', 'merge', job);
    expect(merge.code).toBe(1);
    expect(merge.stdout).toMatch(/shard 1: not started/);
    expect(merge.stdout).toMatch(/shard 2: not started/);
    expect(merge.stderr).toContain(`sbatch --array=1,2 ${script}`);

    expect(task(script, 1).code).toBe(0);
    merge = sim(dir, 'slurm', 'merge', job);
    expect(merge.code).toBe(1);
    expect(merge.stdout).toMatch(/: 2 of 4 points, 1 of 2 shards complete/);
    expect(merge.stdout).toMatch(/shard 2: not started \(2 points\)/);
    expect(merge.stdout).not.toMatch(/shard 1/);

    // Shard 2 (points 2 and 4) dies after its first point; the script reruns it, resuming.
    const points2 = join(job, 'shards', '2', 'local-array', 'points');
    killingNode(join(dir, 'bin'), dir, points2);
    const t2 = task(script, 2, { PATH: `${join(dir, 'bin')}:${process.env.PATH}` });
    expect(existsSync(join(dir, 'killed'))).toBe(true);
    expect(t2.stderr).toContain('shard 2/2: attempt 1 exited with status 137; retrying with --resume');
    expect(t2.stderr).toMatch(/resumed: 1 point already done/);
    expect(t2.code).toBe(0);

    // A point lost from a shard is named, with its shard.
    const lost = readdirSync(points2).find((f) => f.startsWith('prefix-cache'))!;
    const kept = readFileSync(join(points2, lost));
    rmSync(join(points2, lost));
    merge = sim(dir, 'slurm', 'merge', job);
    expect(merge.code).toBe(1);
    expect(merge.stdout).toContain(`shard 2: 1 of 2 points missing: ${lost.replace(/\.json$/, '')}`);
    writeFileSync(join(points2, lost), kept);

    merge = sim(dir, 'slurm', 'merge', job, '--out', join(dir, 'merged'));
    expect(merge.stderr).toBe('');
    expect(merge.code).toBe(0);
    expect(merge.stdout).toMatch(/4 of 4 points from 2 shards/);
    const want = tree(join(dir, 'single', 'local-array'));
    expect(Object.keys(want)).toContain('summary.csv');
    expect(Object.keys(want)).toContain('report.html');
    expect(tree(join(dir, 'merged', 'local-array'))).toEqual(want);
  });
});

describe('a plan as job arrays, one pass per stage', () => {
  it('lists the units of work each shard still owes, then merges to the one-machine plan', { timeout: 180_000 }, () => {
    const dir = tempDir();
    // Relative --out in two directories: plan.json names its plot by that path.
    mkdirSync(join(dir, 'single'));
    const single = sim(join(dir, 'single'), 'plan', PLAN, '--workers', '0', '--out', 'results', '--json');
    expect(single.code).toBe(0);

    const job = join(dir, 'job');
    const submit = sim(dir, 'slurm', 'submit', PLAN, '--shards', '2', '--dir', job, '--dry-run');
    expect(submit.code).toBe(0);
    const spec = JSON.parse(readFileSync(join(job, 'job.json'), 'utf8'));
    expect(spec).toMatchObject({ kind: 'plan', name: 'small-plan', shards: 2, passes: 2, jobs: [] });
    const script = join(job, 'array.sbatch');

    // Pass 1, task 1: the first block search (unit 0). Unit 1, the other block, is shard 2's.
    const first = task(script, 1);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/shard 1\/2: ran \d+ simulations .*waiting for 1 unit of work of shard 2 \(unified L40S\)/);
    let merge = sim(dir, 'slurm', 'merge', job);
    expect(merge.code).toBe(1);
    expect(merge.stdout).toContain('shard 2: 1 unit of work missing: unified L40S');
    expect(merge.stdout).not.toMatch(/shard 1:/);

    // Task 2 finds the blocks done and goes on to its fleets; pass 2 finishes the rest.
    expect(task(script, 2).code).toBe(0);
    expect(task(script, 1).code).toBe(0);
    expect(task(script, 2).code).toBe(0);
    mkdirSync(join(dir, 'merged'));
    merge = sim(join(dir, 'merged'), 'slurm', 'merge', job, '--out', 'results');
    expect(merge.stderr).toBe('');
    expect(merge.code).toBe(0);
    const want = tree(join(dir, 'single', 'results', 'small-plan'));
    expect(Object.keys(want).sort()).toEqual(['pareto.svg', 'plan.json']);
    expect(tree(join(dir, 'merged', 'results', 'small-plan'))).toEqual(want);
  });
});
