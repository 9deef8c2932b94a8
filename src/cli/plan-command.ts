import { existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, isAbsolute, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../input-error.js';
import { refuseFlags } from './unused-flags.js';
import { parseShard, type Shard } from '../experiment/shard.js';
import type { LoadedPlan } from '../plan/load-plan.js';
import type { PlanResult } from '../plan/plan-result.js';
import type { PendingUnit } from '../plan/sim-share.js';
import { action, EXIT_FAILED } from './errors.js';

interface PdRatioFlags {
  rate?: string;
  duration?: string;
  precision?: string;
  json?: boolean;
}

interface PlanFlags {
  verify?: string;
  workers?: string;
  precision?: string;
  out?: string;
  json?: boolean;
  plot?: boolean;
  shard?: string;
  resume?: boolean;
}

function positive(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (!(x > 0)) throw new InputError(`${flag} must be a positive number, got "${value}"`, undefined, flag);
  return x;
}

function count(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (!Number.isInteger(x) || x < min) throw new InputError(`${flag} must be an integer >= ${min}, got "${value}"`, undefined, flag);
  return x;
}

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description('what-if sizing: `sim plan <plan.yaml>` finds the cheapest fleets meeting the SLOs; `sim plan pd-ratio <experiment>` the prefill/decode ratio')
    .argument('<file-or-method>', 'a plan file, or pd-ratio')
    .argument('[file]', 'pd-ratio: experiment file with a prefill and a decode fleet entry and TTFT/TPOT SLOs')
    .option('--verify <k>', 'plan: fleets simulated whole per target rate (default: the plan\'s search.verify, 5)')
    .option('--workers <n>', 'plan: worker threads (default: the number of cores; 0 runs on the main thread)')
    .option('--precision <fraction>', 'bisection stops within this share of the rate (default 0.05)')
    .option('--out <dir>', 'plan: results root (default: outputs.dir or results/<name>)')
    .option('--no-plot', 'plan: skip the Pareto plot')
    .option('--shard <k/N>', 'plan: run only shard k of N of the simulations, kept in <out>/<name>/sims; rerun (or sim slurm merge) when the other shards are done')
    .option('--resume', 'plan: keep simulations in <out>/<name>/sims and reuse those already there')
    .option('--rate <rps>', "pd-ratio: target request rate (default: the experiment's)")
    .option('--duration <s>', 'pd-ratio: simulated seconds of arrivals per probe (default: experiment duration, at most 120)')
    .option('--json', 'print the result as JSON (no progress bar)')
    .action(
      action(async (first: string, file: string | undefined, flags: PlanFlags & PdRatioFlags, cmd: Command) => {
        if (first === 'pd-ratio') {
          if (!file) throw new InputError('pd-ratio needs an experiment file: sim plan pd-ratio <experiment.yaml>');
          refuseFlags(cmd, ['--verify', '--workers', '--out', '--no-plot', '--shard', '--resume'], 'is for plan files; sim plan pd-ratio does not use it');
          return pdRatio(file, flags);
        }
        if (file !== undefined) throw new InputError(`unknown plan method "${first}"; give a plan file, or pd-ratio <experiment>`);
        refuseFlags(cmd, ['--rate', '--duration'], "is for sim plan pd-ratio; a plan file's rates and duration are in the file");
        return plan(first, flags);
      }),
    );
}

async function plan(file: string, flags: PlanFlags): Promise<number> {
  const verify = count(flags.verify, '--verify', 1);
  const workers = count(flags.workers, '--workers', 0) ?? availableParallelism();
  const precision = positive(flags.precision, '--precision');
  if (precision !== undefined && precision >= 1) throw new InputError(`--precision must be below 1, got "${flags.precision}"`, undefined, '--precision');
  const shard = flags.shard !== undefined ? parseShard(flags.shard) : undefined;
  // The planner (and its worker pool, progress bar, plots) loads only for this command.
  const { loadPlan } = await import('../plan/load-plan.js');
  const { createPlanProgressBar } = await import('../plan/progress-bar.js');
  const { runPlan } = await import('../plan/run-plan.js');
  const { runPlanShared } = await import('../plan/run-plan-shared.js');
  const { SimStore } = await import('../plan/sim-store.js');
  const loaded = loadPlan(file);
  const dir = planDir(loaded, flags.out);
  const bar = createPlanProgressBar(!flags.json);
  let result;
  try {
    const opts = { workers, verify, precision, onProgress: (p: Parameters<typeof bar.update>[0]) => bar.update(p) };
    if (shard || flags.resume) {
      const shared = await runPlanShared(loaded, new SimStore(join(dir, 'sims')), shard, { ...opts, run: true });
      bar.stop();
      if (!shared.complete) {
        const aside = setPlanAside(dir);
        process.stderr.write(
          `${shardLabel(shard)}: ran ${shared.ran} simulations into ${join(dir, 'sims')}; ${pendingLine(shared.pending)}` +
            (aside ? `; the earlier plan.json waits in ${aside} until this plan is done` : '') +
            '\n',
        );
        return 0;
      }
      result = shared.result;
    } else {
      result = await runPlan(loaded, opts);
    }
  } finally {
    bar.stop();
  }
  // A shard's exit code says whether it did its part; the verdict is the merged plan's.
  const code = await writePlanOutputs(loaded, result, dir, flags);
  return shard ? 0 : code;
}

function shardLabel(shard: Shard | undefined): string {
  return shard ? `shard ${shard.index}/${shard.count}` : 'plan';
}

/** "waiting for 3 units of shards 2, 4 (decode H20 @ 1.000 req/s, ...)". */
export function pendingLine(pending: readonly PendingUnit[]): string {
  const shards = [...new Set(pending.map((p) => p.shard))].sort((a, b) => a - b);
  const shown = pending.slice(0, 5).map((p) => p.label.replace(/ @ .*/, ''));
  return `waiting for ${pending.length} unit${pending.length === 1 ? '' : 's'} of work of shard${shards.length === 1 ? '' : 's'} ${shards.join(', ')} (${shown.join('; ')}${pending.length > shown.length ? '; ...' : ''})`;
}

/**
 * Where a plan's results go: <out>/<name>, else outputs.dir (relative to the plan file, as an
 * experiment's is), else results/<name>.
 */
export function planDir(loaded: LoadedPlan, out: string | undefined): string {
  if (out) return join(out, loaded.name);
  const d = loaded.config.outputs.dir;
  if (d !== undefined) return isAbsolute(d) ? d : resolve(loaded.baseDir, d);
  return join('results', loaded.name);
}

const PLAN_FILES = ['plan.json', 'pareto.svg'];

/**
 * A plan still under way (shards not all done) must not leave an earlier plan.json beside its
 * simulations looking like its result: the earlier files move to previous/ (replacing older
 * ones there) until the plan is written. Returns that directory when something moved.
 */
function setPlanAside(dir: string): string | undefined {
  if (!existsSync(join(dir, 'plan.json'))) return undefined;
  const aside = join(dir, 'previous');
  mkdirSync(aside, { recursive: true });
  for (const f of PLAN_FILES) {
    rmSync(join(aside, f), { force: true });
    if (existsSync(join(dir, f))) renameSync(join(dir, f), join(aside, f));
  }
  return aside;
}

/** Removes what setPlanAside kept, once a plan is written (previous/ goes when nothing else is in it). */
function dropPlanAside(dir: string): void {
  const aside = join(dir, 'previous');
  if (!existsSync(aside)) return;
  for (const f of PLAN_FILES) rmSync(join(aside, f), { force: true });
  try {
    if (readdirSync(aside).length === 0) rmdirSync(aside);
  } catch {
    // something of someone else's is in it: it stays
  }
}

/** Writes plan.json and the Pareto plot, prints the plan; exit code 1 when a target is infeasible. */
export async function writePlanOutputs(loaded: LoadedPlan, result: PlanResult, dir: string, flags: Pick<PlanFlags, 'plot' | 'json'>): Promise<number> {
  const { writeFileAtomic } = await import('../experiment/results-dir.js');
  const { formatPlan } = await import('../plan/plan-table.js');
  mkdirSync(dir, { recursive: true });
  let pareto: string | undefined;
  if (flags.plot !== false && !result.infeasible) {
    const { paretoPoints } = await import('../plan/pareto.js');
    const { costVsSustainableRate } = await import('../report/plot-specs.js');
    const { renderSvg } = await import('../report/render-svg.js');
    const spec = costVsSustainableRate(
      paretoPoints(loaded, result),
      loaded.targets,
      loaded.config.objective === 'cost' ? 'Fleet cost ($/hour)' : 'GPUs',
    );
    pareto = join(dir, 'pareto.svg');
    writeFileAtomic(pareto, await renderSvg(spec));
  }
  // The plot by its name beside plan.json: the file's bytes do not depend on where it was written.
  const plot = pareto && { pareto: basename(pareto) };
  writeFileAtomic(join(dir, 'plan.json'), JSON.stringify({ ...result, ...plot }, null, 2) + '\n');
  // A plot of an earlier plan would sit beside this one as if it were its own.
  if (!pareto) rmSync(join(dir, 'pareto.svg'), { force: true });
  dropPlanAside(dir);
  if (flags.json) {
    process.stdout.write(JSON.stringify({ ...result, ...plot }) + '\n');
  } else {
    process.stdout.write(formatPlan(loaded, result) + '\n');
    process.stdout.write(`Results: ${join(dir, 'plan.json')}${pareto ? `, ${pareto}` : ''}\n`);
  }
  const infeasible = result.infeasible !== undefined || result.targets.some((t) => t.infeasible !== undefined);
  if (infeasible && flags.json) {
    const why = result.infeasible ?? result.targets.find((t) => t.infeasible)!.infeasible;
    process.stderr.write(`infeasible: ${why}\n`);
  }
  return infeasible ? EXIT_FAILED : 0;
}

async function pdRatio(file: string, flags: PdRatioFlags): Promise<number> {
  const { loadExperiment } = await import('../experiment/load.js');
  const { formatPdRatio, planPdRatio } = await import('../plan/pd-ratio.js');
  const exp = loadExperiment(file);
  const result = await planPdRatio(exp, {
    rate: positive(flags.rate, '--rate'),
    duration: positive(flags.duration, '--duration'),
    precision: positive(flags.precision, '--precision'),
    onProbe: flags.json
      ? undefined
      : (stage, rate, ok) => process.stderr.write(`  ${stage} probe ${rate.toFixed(2)} req/s: ${ok ? 'meets' : 'misses'}\n`),
  });
  if (flags.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
  } else {
    process.stdout.write(formatPdRatio(result) + '\n');
  }
  // 1 only when no fleet checked meets the SLOs: a recommendation that passed its check is a success.
  return result.check.meets || result.adjusted ? 0 : 1;
}
