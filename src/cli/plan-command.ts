import type { Command } from 'commander';
import { loadExperiment } from '../experiment/index.js';
import { InputError } from '../input-error.js';
import { formatPdRatio, planPdRatio } from '../plan/pd-ratio.js';
import { action } from './errors.js';

interface PlanFlags {
  rate?: string;
  duration?: string;
  precision?: string;
  json?: boolean;
}

function positive(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (!(x > 0)) throw new InputError(`${flag} must be a positive number, got "${value}"`, undefined, flag);
  return x;
}

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description('what-if sizing: `sim plan pd-ratio <experiment>` (the prefill/decode ratio method)')
    .argument('<what>', 'pd-ratio')
    .argument('<file>', 'experiment file with a prefill and a decode fleet entry and TTFT/TPOT SLOs')
    .option('--rate <rps>', "target request rate (default: the experiment's)")
    .option('--duration <s>', 'simulated seconds of arrivals per probe (default: experiment duration, at most 120)')
    .option('--precision <fraction>', 'bisection stops within this share of the rate', '0.05')
    .option('--json', 'print the result as JSON')
    .action(
      action(async (what: string, file: string, flags: PlanFlags) => {
        if (what !== 'pd-ratio') throw new InputError(`unknown plan "${what}"; known: pd-ratio`);
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
          const { check, ...rest } = result;
          process.stdout.write(JSON.stringify({ ...rest, check: { ...check, result: { id: check.result.id, completed: check.result.completed, rejected: check.result.rejected, metrics: check.result.metrics } } }) + '\n');
        } else {
          process.stdout.write(formatPdRatio(result) + '\n');
        }
        return result.check.meets ? 0 : 1;
      }),
    );
}
