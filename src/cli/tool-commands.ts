import type { Command } from 'commander';
import type { z } from 'zod';
import type { CatalogFiles, ModelSpec } from '../hardware/index.js';
import { SHIPPED_WORKLOADS_DIR } from '../workload/shipped.js';
import { action } from './errors.js';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { InputError } from '../input-error.js';
import { starterExperiment } from './starter-experiment.js';

/** Commands around the simulation: checking files, listing catalogs, calibrating, deriving. */
export function registerTools(program: Command): void {
  program
    .command('validate')
    .description('check experiment or plan files without running them')
    .argument('<files...>')
    .action(
      action(async (files: string[]) => {
        // Each command loads its own code when it runs (start-up of the others stays small).
        const { loadPlan } = await import('../plan/load-plan.js');
        const { loadExperiment } = await import('../experiment/load.js');
        const { checkPoints } = await import('../experiment/check-points.js');
        const { readYamlFile } = await import('../yaml-input.js');
        for (const f of files) {
          if (isPlanFile(readYamlFile(f).data)) {
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
    .option('--gpus <file>', 'a GPU catalog file merged over the shipped one (as an experiment names it)')
    .option('--models <file>', 'a model catalog file merged over the shipped one')
    .action(
      action(async (what: string, flags: CatalogFiles) => {
        const { deriveModel, loadCatalogs } = await import('../hardware/index.js');
        const { knownPdPolicies, knownPolicies } = await import('../routing/index.js');
        const catalogs = loadCatalogs(flags);
        if (what === 'gpus') {
          const c = catalogs.gpus;
          const width = Math.max(...c.names().map((n) => n.length));
          for (const n of c.names()) {
            const g = c.get(n);
            const cal = g.calibration ?? { status: 'datasheet', source: 'no calibration given in the catalog entry' };
            process.stdout.write(
              `${n.padEnd(width)} ${String(g.bf16Tflops).padStart(6)} TFLOPS  ${String(g.memoryGB).padStart(4)} GB  ${String(g.memoryBandwidthGBs).padStart(5)} GB/s  ${`$${g.costPerHour}/h`.padEnd(8)} ${cal.status.padEnd(11)} ${cal.source}\n`,
            );
          }
        } else if (what === 'models') {
          const c = catalogs.models;
          for (const n of c.names()) process.stdout.write(`${describeModel(c.get(n), deriveModel)}\n`);
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
    .description('print the JSON Schema of experiment files, or of plan files (for editor completion)')
    .option('--plan', 'the schema of sim plan files')
    .option('--write <dir>', 'write experiment.schema.json and plan.schema.json into <dir> instead')
    .action(
      action(async (flags: { plan?: boolean; write?: string }) => {
        const { editorJsonSchema } = await import('../experiment/json-schema.js');
        const { experimentSchema } = await import('../experiment/schema.js');
        const { planSchema } = await import('../plan/plan-schema.js');
        const text = (s: z.ZodType) => JSON.stringify(editorJsonSchema(s), null, 2) + '\n';
        if (flags.write !== undefined) {
          const { writeFileAtomic } = await import('../experiment/results-dir.js');
          if (existsSync(flags.write) && !statSync(flags.write).isDirectory()) throw new InputError('--write takes a directory (the schema files go into it); this is a file', flags.write);
          mkdirSync(flags.write, { recursive: true });
          writeFileAtomic(join(flags.write, 'experiment.schema.json'), text(experimentSchema));
          writeFileAtomic(join(flags.write, 'plan.schema.json'), text(planSchema));
          return;
        }
        process.stdout.write(text(flags.plan ? planSchema : experimentSchema));
      }),
    );

  program
    .command('init')
    .description('write a commented starter experiment that runs as it is')
    .argument('[file]', 'where to write it', 'experiment.yaml')
    .action(
      action((file: string) => {
        if (existsSync(file)) throw new InputError(`${file} exists; not overwriting it (give another file name)`);
        writeFileSync(file, starterExperiment(basename(file).replace(/\.ya?ml$/i, '').replace(/[^A-Za-z0-9._-]+/g, '-') || 'my-experiment'));
        process.stdout.write(`wrote ${file}; run it with: npx sim run ${file}\n`);
      }),
    );

  program
    .command('calibrate')
    .description('fit the roofline efficiency factors against Vidur per-layer profiles and GPU kernel tables')
    .option('--vidur <dir>', 'directory with Vidur *_mlp.csv profiles')
    .option('--measurements <dir>', 'the gpu_measurements directory (attention, all-reduce and A10 operator tables)')
    .option('--all-points', 'print every measured point, not a sample')
    .action(
      action(async (flags: { vidur?: string; measurements?: string; allPoints?: boolean }) => {
        if (!flags.vidur && !flags.measurements) {
          process.stderr.write('error: give --vidur <dir>, --measurements <dir> or both\n');
          return 2;
        }
        const { calibrateAgainstMeasurements, calibrateAgainstVidur, formatCalibrationReport, formatMeasurementsReport } = await import('../hardware/index.js');
        if (flags.vidur) {
          const report = calibrateAgainstVidur(flags.vidur);
          process.stdout.write(formatCalibrationReport(report, { tokens: flags.allPoints ? 'all' : undefined }) + '\n');
        }
        if (flags.measurements) {
          const report = calibrateAgainstMeasurements(flags.measurements);
          const found = report.a10 || report.decode.length + report.prefill.length + report.allReduce.length + report.gemm.length > 0;
          if (!found) throw new InputError(`holds none of the tables calibrate reads (${report.missing.join(', ')}): give the gpu_measurements directory`, flags.measurements);
          process.stdout.write(formatMeasurementsReport(report) + '\n');
        }
      }),
    );

  const workload = program.command('workload').description('workload definitions');
  workload
    .command('derive')
    .description('regenerate the shipped workload definitions (sharegpt, bird, bird-aibrix, sharegpt-aibrix) from the source data')
    .option('--data <dir>', 'directory holding sharegpt_sarathi/ and bird_minidev/', '../shared/data')
    .option('--out <dir>', 'output directory', SHIPPED_WORKLOADS_DIR)
    .action(
      action(async (flags: { data: string; out: string }) => {
        const { deriveWorkloads, formatDeriveReport } = await import('../workload/index.js');
        const report = deriveWorkloads({ dataDir: flags.data, outDir: flags.out });
        process.stdout.write(formatDeriveReport(report) + '\n');
      }),
    );
}

/** A plan file names candidate GPU types; an experiment file names a fleet. */
function isPlanFile(data: unknown): boolean {
  return data !== null && typeof data === 'object' && 'candidates' in data && !('fleet' in data);
}

/** One line of `sim list models`: name, size (active size for MoE), weight and KV formats. */
function describeModel(m: ModelSpec, deriveModel: typeof import('../hardware/index.js').deriveModel): string {
  const d = deriveModel(m);
  const b = (x: number): string => `${(x / 1e9).toFixed(1)}B`;
  const size = m.moe ? `${b(d.params)} (${b(d.activeParams)} active, ${m.moe.activeExperts}/${m.moe.experts} experts)` : b(d.params);
  const dtype = (bytes: number): string => (bytes === 1 ? 'fp8' : bytes === 2 ? 'bf16' : 'fp32');
  const attention = m.mla ? 'MLA' : m.kvHeads < m.heads ? 'GQA' : 'MHA';
  return `${m.name.padEnd(26)} ${size.padEnd(40)} ${dtype(m.dtypeBytes)} weights  ${attention} KV ${(d.kvBytesPerToken / 1024).toFixed(1)} KiB/token (${dtype(m.kvDtypeBytes ?? m.dtypeBytes)})  ${m.maxModelLen} ctx`;
}
