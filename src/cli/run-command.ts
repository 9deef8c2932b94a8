import type { Command } from 'commander';
import { runExperimentFile, type PointResult } from '../experiment/index.js';
import { formatRunTable, formatServedTable } from '../report/run-table.js';
import { PolicyRuntimeError } from '../routing/index.js';
import { action, EXIT_FAILED, reportError } from './errors.js';

interface RunFlags {
  json?: boolean;
  out?: string;
  requestsCsv?: boolean;
}

/** The JSON object printed per run with --json. */
function jsonLine(r: PointResult): string {
  const m = r.metrics;
  return JSON.stringify({
    name: r.name,
    id: r.id,
    seed: r.seed,
    point: r.point,
    policy: r.policy,
    completed: r.completed,
    rejected: r.rejected,
    metrics: {
      ttft_ms: m.ttft_ms,
      tpot_ms: m.tpot_ms,
      e2e_ms: m.e2e_ms,
      queue_ms: m.queue_ms,
      throughput_rps: m.throughput_rps,
      output_tokens_per_s: m.output_tokens_per_s,
      slo_attainment: m.slo_attainment,
      goodput_rps: m.goodput_rps,
    },
  });
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('simulate experiment files and print their results')
    .argument('<files...>', 'experiment YAML files')
    .option('--json', 'print one JSON object per run instead of tables')
    .option('--out <dir>', 'results root directory (default: results/)')
    .option('--requests-csv', 'also write one row per request to requests.csv')
    .action(
      action(async (files: string[], flags: RunFlags) => {
        let failed = 0;
        for (const file of files) {
          try {
            const run = await runExperimentFile(file, {
              resultsRoot: flags.out,
              requestsCsv: flags.requestsCsv,
              onPoint: (r) => {
                if (flags.json) process.stdout.write(jsonLine(r) + '\n');
              },
            });
            if (!flags.json) printTables(run.experiment.name, run.experiment.base.description, run.results, run.dir);
          } catch (err) {
            if (err instanceof PolicyRuntimeError) {
              process.stderr.write(`error: ${file}: run failed: ${err.message}\n`);
              failed++;
              continue;
            }
            const code = reportError(err);
            if (files.length === 1) return code;
            failed++;
          }
        }
        return failed > 0 ? (files.length === 1 ? EXIT_FAILED : 2) : 0;
      }),
    );
}

function printTables(name: string, description: string | undefined, results: PointResult[], dir: string): void {
  const out: string[] = [`${name}${description ? ` — ${description.trim()}` : ''}`, ''];
  out.push(formatRunTable(results), '');
  if (results.some((r) => Object.keys(r.summary.gpu_types).length > 1 || Object.keys(r.summary.classes).length > 1)) {
    out.push('Requests served per GPU type and workload class:', formatServedTable(results), '');
  }
  const slo = results[0]?.summary.slo;
  if (slo) {
    const t = Object.entries(slo.targets_ms).map(([k, v]) => `${k.toUpperCase()} <= ${v} ms`).join(', ');
    out.push(`SLO: ${t}; "SLO %" = share of requests meeting every target (rejected requests count as misses).`);
  }
  for (const w of new Set(results.flatMap((r) => r.warnings))) out.push(`warning: ${w}`);
  out.push(`Results: ${dir}/summary.json`);
  process.stdout.write(out.join('\n') + '\n');
}
