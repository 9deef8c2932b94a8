import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { LoadedExperiment } from '../experiment/load.js';
import { isFailure, type PointRecord } from '../experiment/point-record.js';
import { DEFAULT_POINT_TIMEOUT_S } from '../experiment/point-timeout.js';
import type { ExperimentRun } from '../experiment/run-experiment.js';
import type { PointResult } from '../experiment/run-point.js';
import { parseShard } from '../experiment/shard.js';
import { InputError } from '../input-error.js';
import { action, EXIT_BAD_INPUT, EXIT_FAILED, reportError } from './errors.js';
import { createPointProgress, createProgress } from './progress.js';
import { writeReport } from './report-command.js';

/** Exit code of a run stopped with Ctrl-C (128 + SIGINT), as shells expect. */
const EXIT_INTERRUPTED = 130;

interface RunFlags {
  json?: boolean;
  format?: string;
  out?: string;
  requestsCsv?: boolean;
  workers?: string;
  resume?: boolean;
  shard?: string;
  pointTimeout?: string;
  report: boolean;
  replicates?: string;
}

/** The JSON object printed per point with --json (a failed point: its id, values and error). */
function jsonLine(r: PointRecord): string {
  if (isFailure(r)) return JSON.stringify({ name: r.name, id: r.id, seed: r.seed, point: r.point, error: r.error });
  const m = r.metrics;
  return JSON.stringify({
    name: r.name,
    id: r.id,
    seed: r.seed,
    point: r.point,
    policy: r.policy,
    completed: r.completed,
    rejected: r.rejected,
    rejections_by_kind: r.summary.rejections_by_kind,
    metrics: {
      ttft_ms: m.ttft_ms,
      tpot_ms: m.tpot_ms,
      itl_ms: m.itl_ms,
      e2e_ms: m.e2e_ms,
      tpat_ms: m.tpat_ms,
      queue_ms: m.queue_ms,
      router_queue_ms: m.router_queue_ms,
      instance_queue_ms: m.instance_queue_ms,
      throughput_rps: m.throughput_rps,
      input_tokens_per_s: m.input_tokens_per_s,
      output_tokens_per_s: m.output_tokens_per_s,
      total_tokens_per_s: m.total_tokens_per_s,
      slo_attainment: m.slo_attainment,
      slo_attainment_ttft: m.slo_attainment_ttft,
      slo_attainment_tpot: m.slo_attainment_tpot,
      goodput_rps: m.goodput_rps,
    },
  });
}

function parseTimeout(spec: string | undefined): number | undefined {
  if (spec === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(spec.trim())) throw new InputError(`--point-timeout "${spec}" must be a number of seconds >= 0 (0: no limit)`);
  return Number(spec);
}

function parseWorkers(spec: string | undefined): number {
  if (spec === undefined) return availableParallelism();
  if (!/^\d+$/.test(spec.trim()) || Number(spec) < 1) throw new InputError(`--workers "${spec}" must be a whole number >= 1`);
  return Number(spec);
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('simulate experiment files and print their results')
    .argument('<files...>', 'experiment YAML files')
    .option('--json', 'print one JSON object per point instead of tables (same as --format json)')
    .addOption(new Option('--format <f>', 'output: table, json (one object per point), vllm (one object per point with vLLM benchmark_serving keys)').choices(['table', 'json', 'vllm']))
    .option('--out <dir>', 'results root directory (default: results/)')
    .option('--requests-csv', 'also write one row per request to requests.csv')
    .addOption(new Option('--workers <n>', 'worker threads running points in parallel').default(undefined, 'number of cores'))
    .option('--resume', 'keep points already finished in the results directory; run the rest')
    .option('--shard <k/N>', 'run only shard k of N (every N-th point); combine shards with sim merge')
    .option('--point-timeout <s>', `wall-clock limit per point in seconds (default ${DEFAULT_POINT_TIMEOUT_S}); a longer point fails, the sweep goes on (0: none)`)
    .option('--no-report', 'do not write report.html and plots after the run')
    .option('--replicates <n>', "runs of each point, seeds seed..seed+n-1 (overrides the file's replicates)")
    .action(
      action(async (files: string[], flags: RunFlags) => {
        if (flags.json && flags.format !== undefined && flags.format !== 'json') throw new InputError(`--json and --format ${flags.format} disagree: give one of them`);
        if (flags.format === 'json') flags.json = true;
        const workers = parseWorkers(flags.workers);
        if (flags.out !== undefined && flags.out.trim() === '') throw new InputError('--out is empty: give the results root directory');
        const shard = flags.shard !== undefined ? parseShard(flags.shard) : undefined;
        const pointTimeoutS = parseTimeout(flags.pointTimeout);
        if (flags.replicates !== undefined && (!/^\d+$/.test(flags.replicates.trim()) || Number(flags.replicates) < 1 || Number(flags.replicates) > 1000)) {
          throw new InputError(`--replicates "${flags.replicates}" must be a whole number from 1 to 1000`);
        }
        let badInput = 0;
        let failed = 0;
        if (files.length > 1) {
          // Every file is read and checked before the first runs: a typo in the last of ten is
          // reported at once, not after the other nine.
          const { loadExperiment } = await import('../experiment/load.js');
          const { resultsDirOf } = await import('../experiment/run-experiment.js');
          // Two files writing one results directory: the second would replace the first's run.
          const writers = new Map<string, { file: string; name: string }>();
          for (const file of files) {
            try {
              const exp = loadExperiment(file, { replicates: flags.replicates !== undefined ? Number(flags.replicates) : undefined });
              const dir = resolve(resultsDirOf(exp, flags.out));
              const first = writers.get(dir);
              if (first !== undefined) {
                const why = first.name === exp.name ? `both are named "${exp.name}"` : 'their outputs.dir';
                throw new InputError(`writes ${dir}, as ${first.file} does (${why}): give one of them another name or outputs.dir, or run them one at a time`, file);
              }
              writers.set(dir, { file, name: exp.name });
            } catch (err) {
              reportError(err);
              badInput++;
            }
          }
          if (badInput > 0) return EXIT_BAD_INPUT;
        }
        for (const file of files) {
          try {
            const outcome = await runOne(file, flags, workers, shard, pointTimeoutS);
            if (outcome === 'interrupted') return EXIT_INTERRUPTED;
            if (outcome === 'failed') failed++;
          } catch (err) {
            const code = reportError(err);
            if (files.length === 1) return code;
            badInput++;
          }
        }
        return badInput > 0 ? EXIT_BAD_INPUT : failed > 0 ? EXIT_FAILED : 0;
      }),
    );
}

/** Runs one experiment file with a progress bar and Ctrl-C handling; prints its results. */
async function runOne(
  file: string,
  flags: RunFlags,
  workers: number,
  shard: ReturnType<typeof parseShard> | undefined,
  pointTimeoutS: number | undefined,
): Promise<'ok' | 'failed' | 'interrupted'> {
  // Loaded here rather than at start-up, so that other commands do not load the runner.
  const { loadExperiment } = await import('../experiment/load.js');
  const { uncalibratedGpuWarning } = await import('../experiment/uncalibrated.js');
  const { runExperimentFile } = await import('../experiment/run-experiment.js');
  const abort = new AbortController();
  // Machine-readable output: one line per point, nothing else on stdout.
  const lines = flags.format === 'vllm' ? (await import('../report/benchmark-format.js')).vllmLine : flags.json ? jsonLine : undefined;
  if (lines) flags.json = true;
  const progress = createProgress(file, !flags.json);
  const pointProgress = createPointProgress(file, !flags.json);
  let interrupts = 0;
  const onSigint = () => {
    // The first Ctrl-C stops cleanly; a second one does not wait.
    if (++interrupts > 1) process.exit(EXIT_INTERRUPTED);
    progress.stop();
    process.stderr.write('\ninterrupted: stopping; finished points are kept\n');
    abort.abort();
  };
  // Said once per file, before running; stderr only, so results stay byte-identical.
  const uncalibrated = uncalibratedGpuWarning(loadExperiment(file));
  if (uncalibrated) process.stderr.write(uncalibrated + '\n');
  let run: ExperimentRun;
  try {
    run = await runExperimentFile(file, {
      resultsRoot: flags.out,
      requestsCsv: flags.requestsCsv,
      workers,
      shard,
      resume: flags.resume,
      pointTimeoutS,
      replicates: flags.replicates !== undefined ? Number(flags.replicates) : undefined,
      signal: abort.signal,
      onStart: ({ total, resumed, parallel, bad }) => {
        // Said before the run, not after it: the sweep may run for hours, and these will fail.
        if (bad.length > 0) {
          process.stderr.write(`warning: ${bad.length} of ${total} points have bad input and will be recorded as failed; the first: ${bad[0].id}: ${bad[0].error}\n`);
        }
        // A single point runs on this thread, where a handler could not run until it ends.
        if (parallel) process.on('SIGINT', onSigint);
        if (total > 1) progress.start(total, resumed);
      },
      onPoint: (r) => {
        if (lines) process.stdout.write(lines(r) + '\n');
      },
      onProgress: (p) => progress.update(p),
      onPointProgress: (done, total, unit) => pointProgress.update(done, total, unit),
    });
  } finally {
    process.off('SIGINT', onSigint);
    progress.stop();
    pointProgress.stop();
  }
  const exp = run.experiment;
  if (run.staleLock) process.stderr.write(`note: replaced the lock of a run that is gone (${run.staleLock}) in ${run.dir}\n`);
  if (!flags.json) await printTables(exp, run.results, run.complete ? `${run.dir}/summary.json` : `${run.dir}/points/`);
  if (run.resumed > 0) process.stderr.write(`resumed: ${run.resumed} point${run.resumed === 1 ? '' : 's'} already done in ${run.dir}\n`);
  if (run.previousKept) process.stderr.write(`note: the finished run this one was to replace is kept in ${run.previousKept} until a run here finishes without failures\n`);
  if (run.interrupted) {
    const done = run.results.length + run.failures.length;
    process.stderr.write(`interrupted: ${done} of ${run.total} points finished in ${run.dir}/points; no summary written. Rerun with --resume to finish.\n`);
    return 'interrupted';
  }
  if (run.complete && flags.report) {
    const report = await writeReport(run.dir);
    if (!flags.json) process.stdout.write(`Report:  ${report}\n`);
  } else if (!run.complete && shard) {
    process.stderr.write(`shard ${shard.index}/${shard.count} done: ${run.results.length + run.failures.length} points in ${run.dir}; combine the shards with sim merge\n`);
  }
  if (run.summaryError) process.stderr.write(`error: ${run.summaryError}\n`);
  if (run.failures.length > 0) {
    const lines = run.failures.map((f) => `  ${f.id}: ${f.error}${run.stacks[f.id] ? `\n${indent(run.stacks[f.id])}` : ''}`);
    process.stderr.write(`error: ${run.failures.length} of ${run.results.length + run.failures.length} points failed (recorded in ${run.dir}/points):\n${lines.join('\n')}\n`);
    return 'failed';
  }
  return run.summaryError ? 'failed' : 'ok';
}

function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

async function printTables(exp: LoadedExperiment, results: PointResult[], where: string): Promise<void> {
  const { formatRunTable, formatServedTable, pointLabel } = await import('../report/run-table.js');
  const { formatPdTable } = await import('../report/pd-table.js');
  const description = exp.base.description;
  const out: string[] = [`${exp.name}${description ? ` — ${description.trim()}` : ''}`, ''];
  if (results.length === 0) {
    process.stdout.write(out.join('\n'));
    return;
  }
  out.push(formatRunTable(results), '');
  if (results.some((r) => Object.keys(r.summary.gpu_types).length > 1 || Object.keys(r.summary.classes).length > 1)) {
    out.push('Requests served per GPU type and workload class:', formatServedTable(results), '');
  }
  const pd = formatPdTable(results, pointLabel);
  if (pd) out.push('Prefill/decode: mean ms of each part of TTFT, transfer percentiles, utilization, SLO attainment:', pd, '');
  const slo = results[0]?.summary.slo;
  if (slo) {
    const t = Object.entries(slo.targets_ms).map(([k, v]) => `${k.toUpperCase()} <= ${v} ms`).join(', ');
    out.push(`SLO: ${t}; "SLO %" = share of requests meeting every target (rejected requests count as misses).`);
  }
  out.push(`Results: ${where}`);
  process.stdout.write(out.join('\n') + '\n');
  // Warnings go where the uncalibrated-GPU line goes: stderr, apart from the results.
  for (const w of new Set(results.flatMap((r) => r.warnings))) process.stderr.write(`warning: ${w}\n`);
}
