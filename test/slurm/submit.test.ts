/**
 * `sim slurm submit` against a stand-in sbatch on PATH that records its arguments and answers
 * job ids as `sbatch --parsable` does: the ids printed and kept in job.json, a plan's passes each
 * depending on the previous one, and the one-line errors for bad input or a missing sbatch.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, SMALL, tempDir, write } from '../experiment/fixtures.js';

const CLI = resolve(__dirname, '../../dist/cli/main.js');
const PLAN = resolve(__dirname, 'fixtures/small-plan.yaml');

afterAll(cleanup);

function fakeSbatch(dir: string): string {
  const bin = join(dir, 'bin');
  spawnSync('mkdir', ['-p', bin]);
  // Ids 41, 42, ... ("<id>;<cluster>", as sbatch --parsable prints on a federated cluster).
  writeFileSync(
    join(bin, 'sbatch'),
    `#!/bin/bash
echo "$*" >> '${dir}/sbatch.calls'
n=$(wc -l < '${dir}/sbatch.calls')
echo "$((40 + n));cluster1"
`,
  );
  chmodSync(join(bin, 'sbatch'), 0o755);
  return bin;
}

function sim(cwd: string, path: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000, env: { ...process.env, PATH: path } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('sim slurm submit', () => {
  it('submits the array script of a sweep and prints the job id', () => {
    const dir = tempDir();
    const bin = fakeSbatch(dir);
    write(dir, 'small.yaml', SMALL);
    const r = sim(dir, `${bin}:${process.env.PATH}`, 'slurm', 'submit', 'small.yaml', '--shards', '3', '--partition', 'cpu', '--time', '01:00:00', '--cpus-per-task', '4');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const script = join(dir, 'results', 'slurm-small', 'array.sbatch');
    expect(r.stdout).toBe(`Submitted job array 41 (3 tasks): ${script}\nMerge when done: sim slurm merge ${join(dir, 'results', 'slurm-small')}\n`);
    expect(readFileSync(join(dir, 'sbatch.calls'), 'utf8')).toBe(`--parsable ${script}\n`);
    const text = readFileSync(script, 'utf8');
    for (const line of ['#SBATCH --array=1-3', '#SBATCH --cpus-per-task=4', '#SBATCH --time=01:00:00', '#SBATCH --partition=cpu', '#SBATCH --requeue']) {
      expect(text).toContain(line);
    }
    // The split is fixed in the script: a resubmitted subset (sbatch --array=2) is still shard 2 of 3.
    expect(text).toContain('shard="${SLURM_ARRAY_TASK_ID}/3"');
    expect(text).toContain(`cd ${dir} || exit 1`);
    expect(text).toContain(' run small.yaml --shard "$shard"');
    const spec = JSON.parse(readFileSync(join(dir, 'results', 'slurm-small', 'job.json'), 'utf8'));
    expect(spec).toEqual({ kind: 'run', file: 'small.yaml', cwd: dir, name: 'small', shards: 3, passes: 1, jobs: ['41'] });
  });

  it('submits a plan once per stage, each pass after the previous one whatever its exit codes', () => {
    const dir = tempDir();
    const bin = fakeSbatch(dir);
    const r = sim(dir, `${bin}:${process.env.PATH}`, 'slurm', 'submit', PLAN, '--shards', '4', '--dir', 'job');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Submitted job arrays 41, 42 \(2 passes of 4 tasks, each after the previous\)/);
    const script = join(dir, 'job', 'array.sbatch');
    expect(readFileSync(join(dir, 'sbatch.calls'), 'utf8')).toBe(`--parsable ${script}\n--parsable --dependency=afterany:41 ${script}\n`);
    expect(readFileSync(script, 'utf8')).toContain(` plan ${PLAN} --shard "$shard"`);
  });

  it('refuses bad input before submitting anything, in one line with exit code 2', () => {
    const dir = tempDir();
    const bin = fakeSbatch(dir);
    const path = `${bin}:${process.env.PATH}`;
    write(dir, 'small.yaml', SMALL);
    const cases: [string[], RegExp][] = [
      [['slurm', 'submit', 'small.yaml', '--shards', '0'], /--shards must be a whole number >= 1, got "0"/],
      [['slurm', 'submit', 'missing.yaml', '--shards', '2'], /missing\.yaml/],
      [['slurm', 'merge', join(dir, 'nothing')], /is not a job directory of sim slurm submit \(no job.json\)/],
    ];
    for (const [args, message] of cases) {
      const r = sim(dir, path, ...args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
    expect(() => readFileSync(join(dir, 'sbatch.calls'))).toThrow();
    // No sbatch on PATH: says where to submit from.
    const r = sim(dir, '/nonexistent', 'slurm', 'submit', 'small.yaml', '--shards', '2');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: sbatch is not on PATH/);
  });
});
