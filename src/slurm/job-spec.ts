import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { isSafeName } from '../experiment/safe-name.js';
import { InputError } from '../input-error.js';

/** job.json: what `sim slurm submit` wrote and submitted, read back by `sim slurm merge`. */
export const jobSpecSchema = z.strictObject({
  /** `run`: an experiment's sweep points are sharded; `plan`: a plan's units of work. */
  kind: z.enum(['run', 'plan']),
  /** The experiment or plan file as given, relative to `cwd`. */
  file: z.string(),
  cwd: z.string(),
  // Joined into output paths by merge: a name edited to climb out of the directory is refused.
  name: z.string().refine(isSafeName, 'is not a safe results name (letters, digits, dot, dash and underscore; not only dots)'),
  shards: z.number().int().min(1),
  /** Times the array runs, each after the previous one (a plan's stages need one pass each). */
  passes: z.number().int().min(1),
  /** Slurm job ids of the passes, in order. */
  jobs: z.array(z.string()),
});

export type JobSpec = z.infer<typeof jobSpecSchema>;

export const JOB_FILE = 'job.json';
export const SCRIPT_FILE = 'array.sbatch';

/** Where the shards of a job write: one results root per task for a sweep, one shared root for a plan. */
export function shardRoot(dir: string, spec: Pick<JobSpec, 'kind'>, task: number | string): string {
  return spec.kind === 'run' ? join(dir, 'shards', String(task)) : join(dir, 'plan');
}

export function readJobSpec(dir: string): JobSpec {
  const file = join(dir, JOB_FILE);
  if (!existsSync(file)) throw new InputError(`${dir} is not a job directory of sim slurm submit (no ${JOB_FILE})`);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InputError(`${file}: not JSON (${(err as Error).message})`);
  }
  const parsed = jobSpecSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(`${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return parsed.data;
}
