import { dirname } from 'node:path';
import { shardRoot, type JobSpec } from './job-spec.js';

export interface ArrayScriptOptions {
  spec: Pick<JobSpec, 'kind' | 'file' | 'cwd' | 'name' | 'shards'>;
  /** The job directory (absolute): logs and shard results go under it. */
  dir: string;
  /** The CLI's main.js (absolute). */
  cli: string;
  cpusPerTask: number;
  /** Slurm's --time (e.g. 02:00:00) and --partition, when given. */
  time?: string;
  partition?: string;
  /** Attempts per task before it fails (each after the first resumes). */
  attempts?: number;
}

/** Quotes a word for bash when it needs it. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_\/.,:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The sbatch script of a job array: task k runs shard k of N. N is written into the script, not
 * read from SLURM_ARRAY_TASK_COUNT, which counts the tasks of one submission: resubmitting some
 * tasks (sbatch --array=3,5) must not change the split.
 */
export function arrayScript(o: ArrayScriptOptions): string {
  const { spec } = o;
  const n = spec.shards;
  const attempts = o.attempts ?? 3;
  const q = shellWord;
  // The job directory is quoted as a word of its own; only the task id is expanded by bash.
  const task = '"${SLURM_ARRAY_TASK_ID}"';
  const out = spec.kind === 'run' ? `${q(dirname(shardRoot(o.dir, spec, 0)))}/${task}` : q(shardRoot(o.dir, spec, 0));
  const command =
    spec.kind === 'run'
      ? `node ${q(o.cli)} run ${q(spec.file)} --shard "$shard" --workers "\${SLURM_CPUS_PER_TASK:-1}" \\\n    --out ${out} --resume --json > /dev/null`
      : `node ${q(o.cli)} plan ${q(spec.file)} --shard "$shard" --workers "\${SLURM_CPUS_PER_TASK:-1}" \\\n    --out ${out} --json > /dev/null`;
  const kept = spec.kind === 'run' ? 'the points already finished' : 'the simulations already stored';
  return [
    '#!/bin/bash',
    `#SBATCH --job-name=${q(spec.name)}`,
    `#SBATCH --array=1-${n}`,
    `#SBATCH --cpus-per-task=${o.cpusPerTask}`,
    ...(o.time ? [`#SBATCH --time=${q(o.time)}`] : []),
    ...(o.partition ? [`#SBATCH --partition=${q(o.partition)}`] : []),
    `#SBATCH --output=${q(`${o.dir}/logs/%x-%A-%a.out`)}`,
    '#SBATCH --open-mode=append',
    '#SBATCH --requeue',
    `# Written by sim slurm submit: array task k runs shard k of ${n}. A failed attempt is retried`,
    `# with --resume, which keeps ${kept}; a preempted task is requeued and resumes`,
    '# the same way (its log keeps every attempt). Rerun tasks later: sbatch --array=<ids> <this file>',
    '',
    `cd ${q(spec.cwd)} || exit 1`,
    `shard="\${SLURM_ARRAY_TASK_ID}/${n}"`,
    `for attempt in $(seq 1 ${attempts}); do`,
    `  ${command}`,
    '  status=$?',
    '  # 0: done; 2: bad input, which no retry mends.',
    '  if [ "$status" -eq 0 ] || [ "$status" -eq 2 ]; then exit "$status"; fi',
    '  echo "shard $shard: attempt $attempt exited with status $status; retrying with --resume" >&2',
    'done',
    'exit "$status"',
    '',
  ].join('\n');
}
