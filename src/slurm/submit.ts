import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { InputError } from '../input-error.js';
import { arrayScript } from './array-script.js';
import { JOB_FILE, SCRIPT_FILE, type JobSpec } from './job-spec.js';

export interface SubmitOptions {
  kind: JobSpec['kind'];
  file: string;
  name: string;
  shards: number;
  passes: number;
  dir: string;
  cpusPerTask: number;
  time?: string;
  partition?: string;
  /** Write the script and job.json, submit nothing. */
  dryRun?: boolean;
}

export interface Submitted {
  dir: string;
  script: string;
  spec: JobSpec;
}

/**
 * The CLI a task runs: dist/cli/main.js next to this module's build, or, when this module runs
 * from src/ (tests run the TypeScript directly), the build in dist/.
 */
export function cliPath(): string {
  for (const url of [new URL('../cli/main.js', import.meta.url), new URL('../../dist/cli/main.js', import.meta.url)]) {
    const path = fileURLToPath(url);
    if (existsSync(path)) return path;
  }
  throw new Error('the CLI is not built (dist/cli/main.js is missing): run npm run build');
}

/** Runs sbatch; its --parsable answer is "<id>" or "<id>;<cluster>". */
function sbatch(args: string[]): string {
  let out: string;
  try {
    out = execFileSync('sbatch', ['--parsable', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new InputError('sbatch is not on PATH: submit from a Slurm login node (or write the script only with --dry-run)');
    throw new InputError(`sbatch failed: ${(e.stderr ?? e.message).trim().split('\n').pop()}`);
  }
  const id = out.trim().split(';')[0];
  if (!/^\d+$/.test(id)) throw new InputError(`sbatch answered "${out.trim()}", not a job id`);
  return id;
}

/**
 * Writes the job directory (array.sbatch, job.json, logs/) and submits the array `passes` times,
 * each pass after the previous one has ended, whatever its tasks' exit codes: a pass redoes what
 * an earlier one left unfinished.
 */
export function submitJob(o: SubmitOptions): Submitted {
  const dir = resolve(o.dir);
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const spec: JobSpec = { kind: o.kind, file: o.file, cwd: process.cwd(), name: o.name, shards: o.shards, passes: o.passes, jobs: [] };
  const script = join(dir, SCRIPT_FILE);
  writeFileSync(script, arrayScript({ spec, dir, cli: cliPath(), cpusPerTask: o.cpusPerTask, time: o.time, partition: o.partition }), { mode: 0o755 });
  const save = () => writeFileSync(join(dir, JOB_FILE), JSON.stringify(spec, null, 2) + '\n');
  save();
  if (!o.dryRun) {
    for (let pass = 0; pass < o.passes; pass++) {
      const after = spec.jobs.at(-1);
      spec.jobs.push(sbatch([...(after ? [`--dependency=afterany:${after}`] : []), script]));
      save();
    }
  }
  return { dir, script, spec };
}
