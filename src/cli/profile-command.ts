import type { Command } from 'commander';
import { writeFileAtomic } from '../experiment/results-dir.js';
import { InputError } from '../input-error.js';
import type { ProfileSloKind } from '../plan/aibrix-profile.js';
import { action } from './errors.js';

interface ProfileFlags {
  gpu: string;
  model: string;
  tp: string;
  slo: string[];
  percentile: string;
  inputs: string;
  outputs: string;
  rates: string;
  requests: string;
  cost?: string;
  created?: string;
  out?: string;
  deployment?: string;
  benchmarkOut?: string;
}

/** "4..4096" (powers of two) or "4,8,16". */
function parseGrid(text: string, flag: string, powersOfTwo: (from: number, to: number) => number[]): number[] {
  const range = /^(\d+(?:\.\d+)?)\.\.(\d+(?:\.\d+)?)$/.exec(text);
  // A range doubles from its start, so it must start above 0 (and end no lower than it starts).
  const rangeOk = range && Number(range[1]) > 0 && Number(range[2]) >= Number(range[1]);
  const values = range ? (rangeOk ? powersOfTwo(Number(range[1]), Number(range[2])) : []) : text.split(',').map(Number);
  if (values.length === 0 || values.some((v) => !(v > 0 && Number.isFinite(v)))) {
    throw new InputError(`must be a range like 4..4096 or a list like 4,8,16 of positive numbers`, undefined, flag);
  }
  return values;
}

function parseSlos(items: string[], SLO_KINDS: readonly ProfileSloKind[]): Partial<Record<ProfileSloKind, number>> {
  const slos: Partial<Record<ProfileSloKind, number>> = {};
  for (const item of items) {
    const m = /^(\w+)=([\d.e+-]+)$/.exec(item);
    const kind = m?.[1] as ProfileSloKind;
    if (m && !SLO_KINDS.includes(kind)) {
      throw new InputError(`"${m[1]}" is not one of AIBrix's profile SLOs (${SLO_KINDS.join(', ')}; gen_profile.py --e2e, --ttft, --tpot, --tpat)`, undefined, '--slo');
    }
    if (!m || !(Number(m[2]) > 0)) {
      throw new InputError(`expects <kind>=<seconds> with kind one of ${SLO_KINDS.join(', ')} and seconds > 0, got "${item}"`, undefined, '--slo');
    }
    slos[kind] = Number(m[2]);
  }
  if (Object.keys(slos).length === 0) throw new InputError('give at least one --slo, e.g. --slo tpot=0.05', undefined, '--slo');
  return slos;
}

export function registerProfile(program: Command): void {
  const profile = program.command('profile').description('generate routing profiles by simulation');
  profile
    .command('aibrix')
    .description("write an AIBrix GPU profile by running AIBrix's benchmark procedure in simulation")
    .requiredOption('--gpu <name>', 'GPU type from the catalog')
    .requiredOption('--model <name>', 'model from the catalog')
    .option('--tp <n>', 'tensor parallelism', '1')
    .option('--deployment <name>', "value of the profile's gpu field: the AIBrix deployment name (default: the GPU type)")
    .option(
      '--slo <kind=seconds...>',
      'latency SLO(s), as gen_profile.py: tpat (E2E/(input+output)), tpot (pooled inter-token gaps), e2e or ttft, e.g. tpat=0.05',
      [],
    )
    .option('--percentile <p>', '0 (mean), 50, 90 or 99', '99')
    .option('--inputs <grid>', 'input lengths: a..b (powers of two) or a list', '4..4096')
    .option('--outputs <grid>', 'output lengths', '4..4096')
    .option('--rates <grid>', 'request rates, RPS', '1..64')
    .option('--requests <n>', 'requests per benchmark point', '100')
    .option('--cost <usd>', "cost per replica-hour (default: the catalog's GPU cost x tp)")
    .option('--created <unix-seconds>', 'value of the created field (default: now)')
    .option('-o, --out <file>', 'write the profile here instead of stdout')
    .option('--benchmark-out <file>', "also write the benchmark rows as gpu_benchmark.py's JSONL (input for AIBrix's gen_profile.py)")
    .action(
      action(async (flags: ProfileFlags) => {
        const { benchmarkGrid, genProfile, powersOfTwo, PROFILE_SLO_KINDS } = await import('../plan/aibrix-profile.js');
        const { lookupHardware } = await import('../plan/simulate.js');
        const { serializeAibrixProfile } = await import('../routing/index.js');
        const percentile = Number(flags.percentile);
        if (![0, 50, 90, 99].includes(percentile)) throw new InputError('must be 0, 50, 90 or 99', undefined, '--percentile');
        const tp = Number(flags.tp);
        if (!Number.isInteger(tp) || tp < 1) throw new InputError('must be a positive integer', undefined, '--tp');
        const requests = Number(flags.requests);
        if (!Number.isInteger(requests) || requests < 1) throw new InputError('must be a positive integer', undefined, '--requests');
        const slos = parseSlos(flags.slo, PROFILE_SLO_KINDS);
        const { gpu } = lookupHardware(flags.gpu, flags.model);
        const rows = benchmarkGrid({
          gpu: flags.gpu,
          model: flags.model,
          tp,
          slos,
          percentile: percentile as 0 | 50 | 90 | 99,
          inputs: parseGrid(flags.inputs, '--inputs', powersOfTwo),
          outputs: parseGrid(flags.outputs, '--outputs', powersOfTwo),
          rates: parseGrid(flags.rates, '--rates', powersOfTwo),
          requests,
        });
        if (flags.benchmarkOut) {
          const seed = 1;
          const lines = rows.map((r) => JSON.stringify({ ...r, seed, model: flags.model, samples: requests }));
          writeFileAtomic(flags.benchmarkOut, lines.join('\n') + '\n');
          process.stderr.write(`wrote ${flags.benchmarkOut}\n`);
        }
        const cost = flags.cost !== undefined ? Number(flags.cost) : gpu.costPerHour * tp;
        if (flags.cost !== undefined && !(Number.isFinite(cost) && cost >= 0)) throw new InputError('must be a price per replica-hour of 0 or more', undefined, '--cost');
        const created = flags.created !== undefined ? Number(flags.created) : Math.floor(Date.now() / 1000);
        if (!(Number.isInteger(created) && created >= 0)) throw new InputError('must be a time in whole Unix seconds', undefined, '--created');
        const result = genProfile(rows, {
          deployment: flags.deployment ?? gpu.name,
          cost,
          slos,
          percentile: percentile as 0 | 50 | 90 | 99,
          created,
        });
        const text = serializeAibrixProfile(result);
        if (flags.out) {
          writeFileAtomic(flags.out, text + '\n');
          process.stderr.write(`wrote ${flags.out}\n`);
        } else {
          process.stdout.write(text + '\n');
        }
      }),
    );
}
