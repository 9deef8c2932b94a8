import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../experiment/results-dir.js';
import { InputError } from '../input-error.js';
import { refuseFlags } from './unused-flags.js';
import { action } from './errors.js';

interface FidelityFlags {
  seeds: string;
  experiments: string;
  write?: boolean;
  only?: string[];
  json?: string;
  fitFrontend?: boolean;
  fit?: boolean;
  markdown?: string;
}

/**
 * `sim fidelity <runs>`: simulates real serving runs (a CSV of run descriptions, or a directory of
 * them) and prints the signed error of the simulated client latency per run, per stage, and the
 * medians. `--write` (re)writes the experiment file of each run instead of simulating.
 */
export function registerFidelity(program: Command): void {
  program
    .command('fidelity')
    .description('simulate real serving runs and print the error of TTFT/TPOT/E2E against their measurements')
    .argument('<runs>', 'CSV of real-run descriptions (the sim2real_trainval layout), or a directory of them')
    .option('--seeds <n>', 'seeds per run (1..n); figures are averaged over them', '3')
    .option('--experiments <dir>', 'experiment files trainval-<id>.yaml: used when present, else generated', 'experiments/fidelity')
    .option('--write', 'write the generated experiment files to --experiments and stop')
    .option('--only <ids...>', 'only these run ids')
    .option('--json <file>', 'also write the full report as JSON')
    .option('--markdown <file>', 'also write the whole-run rows and medians as a Markdown table')
    .option('--fit', 'grid-search the engine host time per step (base, per sequence) with the front end fitted at each point; print the best and stop')
    .option('--fit-frontend', 'simulate without front-end latency, fit the constant that best explains the TTFT means, and report with it')
    .action(
      action(async (path: string, flags: FidelityFlags, cmd: Command) => {
        if (flags.write) refuseFlags(cmd, ['--fit', '--fit-frontend', '--json', '--markdown', '--seeds'], 'needs a simulation; --write only writes the experiment files');
        if (flags.fit) refuseFlags(cmd, ['--fit-frontend', '--markdown'], 'does not apply to --fit (it prints the fitted constants; --json writes them)');
        const n = Number(flags.seeds);
        if (!Number.isInteger(n) || n < 1 || n > 100) throw new InputError(`--seeds must be an integer from 1 to 100, got "${flags.seeds}"`);
        const only = flags.only?.flatMap((s) => s.split(',')).filter(Boolean);
        const { experimentFor, experimentYaml, inferredModelName, inferredModelsYaml, fitConstants, fitFrontendMs, formatFidelity, formatFidelityMarkdown, readRealRuns, runFidelity } = await import('../fidelity/index.js');
        // Report files are checked before minutes of simulation, not when they are written.
        for (const [flag, file] of [['--json', flags.json], ['--markdown', flags.markdown]] as const) {
          if (file === undefined) continue;
          if (existsSync(file) && statSync(file).isDirectory()) throw new InputError(`${flag}: is a directory`, file);
          if (!existsSync(dirname(file)) || !statSync(dirname(file)).isDirectory()) throw new InputError(`${flag}: its directory does not exist`, file);
        }
        const { runs, unread } = readRealRuns(path);
        if (flags.write) {
          for (const u of unread) if (!only || only.includes(u.id)) process.stdout.write(`skipped ${u.id}: ${u.origin}: ${u.reason}\n`);
          mkdirSync(flags.experiments, { recursive: true });
          for (const run of runs) {
            if (only && !only.includes(run.id)) continue;
            // Written afresh: an existing file of the run is what --write replaces.
            const exp = experimentFor(run, {});
            if ('skipped' in exp) {
              process.stdout.write(`skipped ${run.id}: ${exp.skipped}\n`);
              continue;
            }
            const file = join(flags.experiments, `trainval-${run.id}.yaml`);
            if (exp.inferred) {
              const modelsName = `trainval-${run.id}.models.yaml`;
              writeFileAtomic(join(flags.experiments, modelsName), inferredModelsYaml(run, exp.inferred));
              writeFileAtomic(file, experimentYaml(run, inferredModelName(run), exp.gpu!, modelsName));
            } else {
              writeFileAtomic(file, exp.text);
            }
            process.stdout.write(`wrote ${file}${exp.notes.length > 0 ? ` (${exp.notes.join('; ')})` : ''}\n`);
          }
          return 0;
        }
        const seeds = Array.from({ length: n }, (_, i) => i + 1);
        const base = { seeds, experimentsDir: flags.experiments, only, unread, onProgress: (m: string) => process.stderr.write(`${m}\n`) };
        const setFrontend = (ms: number) => (config: Record<string, unknown>) => {
          for (const f of config.fleet as Record<string, unknown>[]) f.frontend = { requestMs: ms / 2, responseMs: ms / 2 };
        };
        if (flags.fit) {
          const fit = await fitConstants(runs, base);
          process.stdout.write(
            `engine host time per step: stepOverheadMs ${(fit.stepOverheadS * 1e3).toFixed(2)}, stepOverheadPerSeqUs ${(fit.stepOverheadPerSeqS * 1e6).toFixed(1)}; front end ${fit.frontendMs.toFixed(2)} ms; objective ${fit.objective.toFixed(4)}\n`,
          );
          if (flags.json) writeFileAtomic(flags.json, `${JSON.stringify(fit, null, 2)}\n`);
          return 0;
        }
        let adjust: ((config: Record<string, unknown>) => void) | undefined;
        if (flags.fitFrontend) {
          const bare = await runFidelity(runs, { ...base, adjust: setFrontend(0) });
          const f = fitFrontendMs(bare);
          process.stdout.write(`front-end latency fitted on ${bare.medians.all.runs} runs: ${f.toFixed(2)} ms (request ${(f / 2).toFixed(2)} ms + response ${(f / 2).toFixed(2)} ms)\n`);
          adjust = setFrontend(f);
        }
        const report = await runFidelity(runs, { ...base, adjust });
        process.stdout.write(`${formatFidelity(report)}\n`);
        if (flags.json) writeFileAtomic(flags.json, `${JSON.stringify(report, null, 2)}\n`);
        if (flags.markdown) writeFileAtomic(flags.markdown, `${formatFidelityMarkdown(report)}\n`);
        if (report.medians.all.runs === 0) {
          process.stderr.write(`error: ${path}: no run could be simulated (the skipped lines above say why)\n`);
          return 2;
        }
        return 0;
      }),
    );
}
