import type { Command } from 'commander';
import { z } from 'zod';
import { checkPoints } from '../experiment/check-points.js';
import { loadPlan } from '../plan/load-plan.js';
import { readYamlFile } from '../yaml-input.js';
import { experimentSchema, loadExperiment } from '../experiment/index.js';
import {
  calibrateAgainstVidur,
  deriveModel,
  formatCalibrationReport,
  loadGpuCatalog,
  loadModelCatalog,
  type ModelSpec,
} from '../hardware/index.js';
import { knownPdPolicies, knownPolicies } from '../routing/index.js';
import { deriveWorkloads, formatDeriveReport, SHIPPED_WORKLOADS_DIR } from '../workload/index.js';
import { action } from './errors.js';

/** Commands around the simulation: checking files, listing catalogs, calibrating, deriving. */
export function registerTools(program: Command): void {
  program
    .command('validate')
    .description('check experiment or plan files without running them')
    .argument('<files...>')
    .action(
      action(async (files: string[]) => {
        for (const f of files) {
          if (isPlanFile(f)) {
            const plan = loadPlan(f);
            process.stdout.write(`${f}: ok (plan, ${plan.candidates.length} candidate GPU type${plan.candidates.length === 1 ? '' : 's'})\n`);
            continue;
          }
          const exp = loadExperiment(f);
          // Resolve every point as a run would: unknown names, fleets that do not fit, bad traces.
          await checkPoints(exp);
          process.stdout.write(`${f}: ok (${exp.points.length} point${exp.points.length === 1 ? '' : 's'})\n`);
        }
      }),
    );

  program
    .command('list')
    .description('list known GPUs, models or routing policies')
    .argument('<what>', 'gpus | models | policies')
    .action(
      action((what: string) => {
        if (what === 'gpus') {
          const c = loadGpuCatalog();
          for (const n of c.names()) {
            const g = c.get(n);
            process.stdout.write(
              `${n.padEnd(12)} ${String(g.bf16Tflops).padStart(6)} TFLOPS  ${String(g.memoryGB).padStart(4)} GB  ${String(g.memoryBandwidthGBs).padStart(5)} GB/s  $${g.costPerHour}/h\n`,
            );
          }
        } else if (what === 'models') {
          const c = loadModelCatalog();
          for (const n of c.names()) process.stdout.write(`${describeModel(c.get(n))}\n`);
        } else if (what === 'policies') {
          for (const n of knownPolicies()) process.stdout.write(`${n}\n`);
          // Prefill/decode policies route fleets with prefill and decode roles.
          for (const n of knownPdPolicies()) process.stdout.write(`${n} (prefill/decode)\n`);
        } else {
          process.stderr.write(`error: unknown list "${what}"; choose gpus, models or policies\n`);
          return 2;
        }
      }),
    );

  program
    .command('schema')
    .description('print the JSON Schema of experiment files (for editor completion)')
    .action(
      action(() => {
        process.stdout.write(JSON.stringify(z.toJSONSchema(experimentSchema, { io: 'input' }), null, 2) + '\n');
      }),
    );

  program
    .command('calibrate')
    .description('fit the roofline efficiency factors against Vidur per-layer profiles')
    .requiredOption('--vidur <dir>', 'directory with Vidur *_mlp.csv profiles')
    .option('--all-points', 'print every measured point, not a sample')
    .action(
      action((flags: { vidur: string; allPoints?: boolean }) => {
        const report = calibrateAgainstVidur(flags.vidur);
        process.stdout.write(formatCalibrationReport(report, { tokens: flags.allPoints ? 'all' : undefined }) + '\n');
      }),
    );

  const workload = program.command('workload').description('workload definitions');
  workload
    .command('derive')
    .description('regenerate the shipped workload definitions (sharegpt, bird, bird-aibrix, sharegpt-aibrix) from the source data')
    .option('--data <dir>', 'directory holding sharegpt_sarathi/ and bird_minidev/', '../shared/data')
    .option('--out <dir>', 'output directory', SHIPPED_WORKLOADS_DIR)
    .action(
      action((flags: { data: string; out: string }) => {
        const report = deriveWorkloads({ dataDir: flags.data, outDir: flags.out });
        process.stdout.write(formatDeriveReport(report) + '\n');
      }),
    );
}

/** A plan file names candidate GPU types; an experiment file names a fleet. */
function isPlanFile(file: string): boolean {
  const data = readYamlFile(file).data;
  return data !== null && typeof data === 'object' && 'candidates' in data && !('fleet' in data);
}

/** One line of `sim list models`: name, size (active size for MoE), weight and KV formats. */
function describeModel(m: ModelSpec): string {
  const d = deriveModel(m);
  const b = (x: number): string => `${(x / 1e9).toFixed(1)}B`;
  const size = m.moe ? `${b(d.params)} (${b(d.activeParams)} active, ${m.moe.activeExperts}/${m.moe.experts} experts)` : b(d.params);
  const dtype = (bytes: number): string => (bytes === 1 ? 'fp8' : bytes === 2 ? 'bf16' : 'fp32');
  const attention = m.mla ? 'MLA' : m.kvHeads < m.heads ? 'GQA' : 'MHA';
  return `${m.name.padEnd(26)} ${size.padEnd(40)} ${dtype(m.dtypeBytes)} weights  ${attention} KV ${(d.kvBytesPerToken / 1024).toFixed(1)} KiB/token (${dtype(m.kvDtypeBytes ?? m.dtypeBytes)})  ${m.maxModelLen} ctx`;
}
