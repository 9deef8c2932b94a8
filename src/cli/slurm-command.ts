import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../input-error.js';
import type { LoadedPlan } from '../plan/load-plan.js';
import { readJobSpec, SCRIPT_FILE, shardRoot, type JobSpec } from '../slurm/job-spec.js';
import { action, EXIT_FAILED } from './errors.js';
import { pendingLine, writePlanOutputs } from './plan-command.js';
import { writeReport } from './report-command.js';

interface SubmitFlags {
  shards: string;
  partition?: string;
  time?: string;
  cpusPerTask: string;
  dir?: string;
  dryRun?: boolean;
}

interface MergeFlags {
  out?: string;
  report: boolean;
}

function wholeNumber(value: string, flag: string, min: number): number {
  if (!/^\s*\d+\s*$/.test(value) || Number(value) < min) throw new InputError(`${flag} must be a whole number >= ${min}, got "${value}"`, undefined, flag);
  return Number(value);
}

/** A plan names candidate GPU types; an experiment names a fleet. */
async function isPlan(file: string): Promise<boolean> {
  const { readYamlFile } = await import('../yaml-input.js');
  const data = readYamlFile(file).data;
  return data !== null && typeof data === 'object' && 'candidates' in data && !('fleet' in data);
}

/**
 * Passes of a plan's array: the blocks (aggregated and prefill), the decode blocks (sized behind
 * the prefill capacities), the verified fleets. A shard goes on to the next stage in the same pass
 * when the other shards have already finished the current one, so extra passes cost nothing.
 */
function planPasses(plan: LoadedPlan): number {
  return 2 + ((plan.disaggregated?.decode.length ?? 0) > 0 ? 1 : 0);
}

/** `sim slurm submit` and `sim slurm merge`: a sweep or a plan as a Slurm job array. */
export function registerSlurm(program: Command): void {
  const slurm = program.command('slurm').description('run a sweep or a plan as a Slurm job array (submit), then combine its shards (merge)');
  slurm
    .command('submit')
    .description('write the job array script for an experiment or plan file and submit it with sbatch; prints the job id')
    .argument('<file>', 'experiment or plan YAML file')
    .requiredOption('--shards <n>', 'array tasks: task k runs shard k of n')
    .option('--partition <name>', 'Slurm partition (sbatch --partition)')
    .option('--time <limit>', 'time limit per task (sbatch --time, e.g. 02:00:00)')
    .option('--cpus-per-task <n>', 'cores per task; the task runs that many workers', '1')
    .option('--dir <dir>', 'job directory: script, job.json, logs/ and the shards (default: results/slurm-<name>)')
    .option('--dry-run', 'write the job directory and script, submit nothing')
    .action(
      action(async (file: string, flags: SubmitFlags) => {
        const shards = wholeNumber(flags.shards, '--shards', 1);
        const cpusPerTask = wholeNumber(flags.cpusPerTask, '--cpus-per-task', 1);
        // Bad input fails here, not on every task of the array.
        const { loadPlan } = await import('../plan/load-plan.js');
        const { loadExperiment } = await import('../experiment/load.js');
        const { submitJob } = await import('../slurm/submit.js');
        const plan = (await isPlan(file)) ? loadPlan(file) : undefined;
        const name = plan ? plan.name : loadExperiment(file).name;
        const s = submitJob({
          kind: plan ? 'plan' : 'run',
          file,
          name,
          shards,
          passes: plan ? planPasses(plan) : 1,
          dir: flags.dir ?? join('results', `slurm-${name}`),
          cpusPerTask,
          time: flags.time,
          partition: flags.partition,
          dryRun: flags.dryRun,
        });
        if (flags.dryRun) process.stdout.write(`Wrote ${s.script} (not submitted)\n`);
        else if (s.spec.jobs.length === 1) process.stdout.write(`Submitted job array ${s.spec.jobs[0]} (${shards} tasks): ${s.script}\n`);
        else process.stdout.write(`Submitted job arrays ${s.spec.jobs.join(', ')} (${s.spec.jobs.length} passes of ${shards} tasks, each after the previous): ${s.script}\n`);
        process.stdout.write(`Merge when done: sim slurm merge ${s.dir}\n`);
      }),
    );
  slurm
    .command('merge')
    .description('combine the shards of a job submitted with sim slurm submit, once all are done; lists missing shards and points otherwise')
    .argument('<dir>', 'the job directory')
    .option('--out <dir>', 'results root for the merged results (default: <job dir>/results)')
    .option('--no-report', 'sweeps: do not write report.html and plots')
    .action(
      action(async (dir: string, flags: MergeFlags) => {
        const spec = readJobSpec(dir);
        const out = flags.out ?? join(dir, 'results');
        return spec.kind === 'run' ? mergeSweep(dir, spec, out, flags.report) : mergePlan(dir, spec, out);
      }),
    );
}

function rerunHint(dir: string, shards: number[]): string {
  return `rerun them: sbatch --array=${shards.join(',')} ${join(dir, SCRIPT_FILE)} (they resume), then merge again`;
}

async function mergeSweep(dir: string, spec: JobSpec, out: string, report: boolean): Promise<number> {
  const { sweepStatus } = await import('../slurm/job-status.js');
  const { mergeResults } = await import('../experiment/merge.js');
  const status = sweepStatus(dir, spec);
  const incomplete = status.shards.filter((s) => !s.started || s.missing.length > 0);
  if (incomplete.length > 0) {
    const done = status.shards.reduce((a, s) => a + s.points.length - s.missing.length, 0);
    process.stdout.write(`${dir}: ${done} of ${status.total || '?'} points, ${spec.shards - incomplete.length} of ${spec.shards} shards complete\n`);
    for (const s of incomplete) {
      if (!s.started) process.stdout.write(`  shard ${s.shard}: not started${s.points.length > 0 ? ` (${s.points.length} points)` : ''}\n`);
      else process.stdout.write(`  shard ${s.shard}: ${s.missing.length} of ${s.points.length} points missing: ${s.missing.join(', ')}\n`);
    }
    process.stderr.write(`error: ${incomplete.length} shards are not done, no merge written; ${rerunHint(dir, incomplete.map((s) => s.shard))}\n`);
    return EXIT_FAILED;
  }
  const m = mergeResults(status.dirs, join(out, spec.name));
  process.stdout.write(`${m.dir}: ${m.recorded} of ${m.manifest.points.length} points from ${spec.shards} shards${m.failed.length > 0 ? ` (${m.failed.length} failed)` : ''}\n`);
  if (report) process.stdout.write(`Report:  ${await writeReport(m.dir)}\n`);
  if (m.failed.length > 0) {
    const shards = status.shards.filter((s) => s.failed.length > 0).map((s) => s.shard);
    process.stderr.write(`error: ${m.failed.length} points failed: ${m.failed.join(', ')}; ${rerunHint(dir, shards)}\n`);
    return EXIT_FAILED;
  }
  return 0;
}

async function mergePlan(dir: string, spec: JobSpec, out: string): Promise<number> {
  const { loadPlan } = await import('../plan/load-plan.js');
  const { runPlanShared } = await import('../plan/run-plan-shared.js');
  const { SimStore } = await import('../plan/sim-store.js');
  const plan = loadPlan(resolve(spec.cwd, spec.file));
  const store = new SimStore(join(shardRoot(dir, spec, 0), spec.name, 'sims'));
  const r = await runPlanShared(plan, store, { index: 1, count: spec.shards }, { workers: 0, run: false });
  if (!r.complete) {
    process.stdout.write(`${dir}: the plan is not done\n`);
    const shards = [...new Set(r.pending.map((p) => p.shard))].sort((a, b) => a - b);
    for (const k of shards) {
      const mine = r.pending.filter((p) => p.shard === k);
      process.stdout.write(`  shard ${k}: ${mine.length} unit${mine.length === 1 ? '' : 's'} of work missing: ${mine.map((p) => p.label.replace(/ @ .*/, '')).join('; ')}\n`);
    }
    process.stderr.write(`error: ${pendingLine(r.pending).replace('waiting for', 'missing')}; ${rerunHint(dir, shards)}\n`);
    return EXIT_FAILED;
  }
  return writePlanOutputs(plan, r.result, join(out, spec.name), { plot: true });
}
