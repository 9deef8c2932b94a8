/**
 * Every command in README.md's shell blocks, run as written (with `npx sim` as the built CLI) in
 * a scratch directory that has the repository's experiments, plans, profiles and workloads. Each
 * must exit 0. A command that needs something this machine may not have, or that is this test
 * suite itself, is skipped with its reason printed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../sweep/helpers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** Command lines of the ```sh blocks, without trailing comments. */
function readmeCommands(): string[] {
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.flatMap((b) => b.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => /^(npx|npm) /.test(l)));
}

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const long = process.env.ROUTESIM_README_LONG === '1';

/** Why a command is not run here; undefined runs it. */
function skipReason(cmd: string): string | undefined {
  if (cmd === 'npm test') return 'it is this test suite';
  if (cmd === 'npm run bench') return 'a benchmark of minutes on a shared machine (run it by hand)';
  if (cmd.startsWith('npx sim slurm submit') && !has('sbatch')) return 'needs Slurm (sbatch)';
  if (cmd.startsWith('npx sim slurm merge')) return 'needs the job array that sim slurm submit starts';
  if (cmd.includes('big.yaml') || cmd.includes('shards/')) return 'illustrates sharding a big sweep (docs/distributed.md); test/sweep runs shards and merges';
  if (/<[a-z-]+>/.test(cmd)) return 'placeholder arguments (<dir>)';
  if (/^npx sim (serve|gateway) /.test(cmd)) return 'a server that runs until stopped; test/gateway runs it end to end';
  if (cmd.startsWith('npx sim load')) return 'needs a running gateway or server at its --url; test/gateway/load.test.ts sends a workload through one';
  if (cmd.startsWith('npx sim replay')) return 'needs the decision log of a running gateway; test/gateway replays one';
  if (cmd.startsWith('npx sim fidelity runs.csv')) return 'needs a CSV of real runs (docs/fidelity.md); test/fidelity runs the runner on a fixture';
  if (cmd.includes('--models my-models.yaml')) return 'a catalog file of your own; test/hardware covers --models';
  if (cmd.includes('experiments/*.yaml') && !long) return 'runs every shipped experiment, minutes (ROUTESIM_README_LONG=1 runs it; sim validate experiments/*.yaml is checked instead)';
  return undefined;
}

describe('README commands', () => {
  let work: string;
  const sim = `node ${join(root, 'dist/cli/main.js')}`;
  const run = (cmd: string) => {
    // `npm install &&` is the install this checkout already had.
    const line = cmd.replace(/^npm install && /, '').replace(/^npx sim\b/, sim).replace(/ && npx sim\b/g, ` && ${sim}`);
    return spawnSync('bash', ['-c', line], { cwd: work, encoding: 'utf8', timeout: 600_000, env: { ...process.env, FORCE_COLOR: '0' } });
  };

  beforeAll(() => {
    ensureBuilt();
    work = mkdtempSync(join(tmpdir(), 'routesim-readme-'));
    for (const d of ['experiments', 'plans', 'profiles', 'workloads']) symlinkSync(join(root, d), join(work, d));
    // The README's example experiment, as the file its validate command names.
    const example = /```yaml\n(name: my-experiment[\s\S]*?)```/.exec(readme);
    if (example) writeFileSync(join(work, 'my-experiment.yaml'), example[1]);
    // sim compare's two directories: the quickstart run twice.
    for (const d of ['results-before', 'results-after']) execFileSync('bash', ['-c', `${sim} run experiments/quickstart.yaml --out ${d}-root >/dev/null && ln -s ${d}-root/quickstart ${d}`], { cwd: work });
  }, 300_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const commands = readmeCommands();
  it('finds the commands', () => {
    expect(commands.length).toBeGreaterThan(15);
    expect(commands).toContain('npx sim run experiments/quickstart.yaml');
  });

  for (const cmd of commands) {
    const reason = skipReason(cmd);
    if (reason) {
      it.skip(`${cmd} (skipped: ${reason})`, () => {});
      continue;
    }
    it(`exits 0: ${cmd}`, () => {
      const r = run(cmd);
      expect(r.status, `${cmd}\n${r.stderr.slice(-2000)}`).toBe(0);
    }, 600_000);
  }

  it('every shipped experiment validates: a glob of experiments/ holds experiments only', () => {
    const r = run('npx sim validate experiments/*.yaml');
    expect(r.status, r.stderr).toBe(0);
  }, 300_000);
});
