import { z } from 'zod';
import { InputError } from '../input-error.js';
import { TRACE_FORMATS } from './trace/trace-reader.js';
import { describeIssue } from '../zod-issue.js';

const ARRIVAL_HINT = 'expected poisson, constant, conditioned-poisson, {process: gamma, cv: <number>}';

/**
 * `poisson` | `constant` | `conditioned-poisson` | `{process: <one of those>}` | `{process: gamma, cv}`.
 * conditioned-poisson: exactly floor(rate × duration) arrivals per stage (inference-perf's "constant").
 */
export const arrivalSchema = z
  .union([
    z.enum(['poisson', 'constant', 'conditioned-poisson'], { error: ARRIVAL_HINT }),
    z.discriminatedUnion(
      'process',
      [
        z.strictObject({ process: z.literal('poisson').describe('Exponential gaps at the rate') }),
        z.strictObject({ process: z.literal('constant').describe('Equal gaps of 1 / rate') }),
        z.strictObject({ process: z.literal('conditioned-poisson').describe('Exactly floor(rate x duration) arrivals per stage, at uniform times') }),
        z.strictObject({
          process: z.literal('gamma').describe('Gamma-distributed gaps with coefficient of variation cv'),
          cv: z.number().positive().describe('Coefficient of variation of the gaps (1 = Poisson)'),
        }),
      ],
      { error: ARRIVAL_HINT },
    ),
  ])
  .describe('Arrival process; default poisson');

export const traceSchema = z.strictObject({
  format: z.enum(TRACE_FORMATS as ['mooncake', 'azure', 'vidur', 'aibrix']).describe('Column layout of the trace file (docs/workloads.md)'),
  path: z.string().min(1).describe('Trace file, relative to the experiment file'),
  speedup: z.number().positive().optional().describe('Divides trace timestamps: 2 halves the gaps'),
  loop: z.boolean().optional().describe('Restart the trace when it ends (only with synthetic arrivals)'),
  defaultOutputTokens: z.int().positive().optional().describe('AIBrix: output length when output_length is null'),
  hashBlockTokens: z
    .int()
    .positive()
    .optional()
    .describe('Mooncake layout: tokens per hash_ids entry (default 512); any size works with any engine block size'),
});

/** S shared system prefixes × Q questions, sent in a fixed cyclic order or drawn at random. */
export const poolSchema = z.strictObject({
  prefixes: z.int().positive().describe('Number of distinct shared system prefixes (S)'),
  questions: z.int().positive().describe('Questions per prefix (Q): the pool holds S x Q prompts'),
  prefixTokens: z.int().nonnegative().describe('Tokens of each system prefix'),
  questionTokens: z.int().positive().describe('Tokens of each question (after the prefix)'),
  outputTokens: z.int().positive().describe('Tokens every request generates (fixed, as with ignore_eos)'),
  order: z.enum(['cyclic', 'random']).default('cyclic').describe('cyclic: request i uses prompt i mod S*Q; random: a uniform draw per request'),
  shuffle: z.boolean().default(true).describe('cyclic: shuffle the pool once before cycling (false: prefix-major order)'),
  hashBlockTokens: z.int().positive().optional().describe("Tokens per prefix hash (default: the engine's KV block size)"),
});

/** Every request the same length, sharing nothing. */
export const fixedSchema = z.strictObject({
  promptTokens: z.int().positive().describe('Prompt tokens of every request'),
  outputTokens: z.int().positive().describe('Tokens every request generates'),
});

/** One stage of a piecewise-constant rate schedule. */
export const stageSchema = z.strictObject({
  rate: z.number().positive().describe('Requests per second during the stage'),
  duration: z.number().positive().describe('Seconds'),
});

export const sourceSchema = z.strictObject({
  class: z.string().min(1).describe('Workload class name for metrics and SLOs'),
  dataset: z.string().min(1).optional().describe('Shipped definition name (sharegpt, bird) or a definition file path'),
  trace: traceSchema.optional().describe('Requests (and, without a rate, their times) from a trace file'),
  pool: poolSchema.optional().describe('A fixed prompt pool: S shared prefixes x Q questions'),
  fixed: fixedSchema.optional().describe('Fixed prompt and output lengths'),
  rate: z.number().positive().optional().describe('Requests per second of this source'),
  ratio: z.number().positive().optional().describe('Weight of this source under a total workload.rate'),
  arrival: arrivalSchema.optional(),
  maxPromptTokens: z.int().positive().optional().describe('Longer prompts are cut to this'),
  maxOutputTokens: z.int().positive().optional().describe('Longer outputs are cut to this'),
  filter: z
    .strictObject({
      minPromptTokens: z.int().positive().optional().describe('Drop prompts shorter than this'),
      minOutputTokens: z.int().positive().optional().describe('Drop outputs shorter than this'),
      maxPromptTokens: z.int().positive().optional().describe('Drop prompts longer than this'),
      maxTotalTokens: z.int().positive().optional().describe('Drop requests whose prompt + output exceeds this'),
    })
    .optional()
    .describe(
      "Requests outside these bounds are dropped, as benchmark clients sample ShareGPT (vLLM benchmark_serving: minPromptTokens 4, minOutputTokens 4, maxPromptTokens 1024, maxTotalTokens 2048): a dataset source draws again, a trace skips the record; the caps above cut instead",
    ),
});

/**
 * The `workload:` section of an experiment file. Either each source has its own `rate` (and
 * arrival process; a trace without a rate replays its timestamps), merged by arrival time; or a
 * total `rate` with per-source `ratio` weights. Ends at `duration` seconds or after `requests`,
 * whichever comes first; a workload of traces only may give neither and end with the traces.
 */
export const workloadSchema = z
  .strictObject({
    duration: z.number().positive().optional().describe('Seconds of arrivals'),
    requests: z.int().positive().optional().describe('Number of requests'),
    rate: z.number().positive().optional().describe('Total requests per second, split by source ratio'),
    stages: z
      .array(stageSchema)
      .min(1)
      .optional()
      .describe('Piecewise-constant total rate, stages back to back (instead of rate and duration)'),
    clients: z
      .int()
      .positive()
      .optional()
      .describe('Closed loop: this many concurrent users, each sending its next request when the last one ends'),
    arrival: arrivalSchema.optional(),
    sources: z.array(sourceSchema).min(1).describe('Where requests come from: one or more sources, each of one class'),
  })
  .superRefine((w, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const ratioMix = w.rate !== undefined || w.stages !== undefined || w.clients !== undefined;
    if (w.stages !== undefined) {
      if (w.rate !== undefined) issue(['rate'], 'give either rate or stages (each stage has its own rate)');
      if (w.duration !== undefined) issue(['duration'], 'with stages the duration is the sum of the stage durations');
    }
    if (processOf(w.arrival) === 'conditioned-poisson' && w.stages === undefined && (w.rate === undefined || w.duration === undefined)) {
      issue(['arrival'], 'conditioned-poisson needs stages, or a rate and a duration (the count is rate x duration)');
    }
    if (w.clients !== undefined && w.rate === undefined && w.stages === undefined && w.arrival !== undefined) {
      issue(['arrival'], 'an arrival process needs a rate or stages (closed-loop clients alone send as soon as a client is free)');
    }
    if (!ratioMix && w.arrival !== undefined) {
      issue(['arrival'], 'a workload-level arrival needs a total rate; otherwise give each source its own arrival');
    }
    let finite = true;
    w.sources.forEach((s, i) => {
      const at = (key: string) => ['sources', i, key];
      const bodies = [s.dataset, s.trace, s.pool, s.fixed].filter((b) => b !== undefined).length;
      if (bodies !== 1) {
        issue(['sources', i], 'give exactly one of dataset, trace, pool or fixed');
      }
      if (s.filter !== undefined) {
        const f = s.filter;
        if (s.pool !== undefined || s.fixed !== undefined) {
          issue(at('filter'), 'only for dataset and trace sources (a pool and fixed lengths have no other requests to take instead)');
        }
        if (Object.keys(f).length === 0) issue(at('filter'), 'give at least one bound');
        if (f.minPromptTokens !== undefined && f.maxPromptTokens !== undefined && f.minPromptTokens > f.maxPromptTokens) {
          issue([...at('filter'), 'minPromptTokens'], `must not exceed maxPromptTokens (${f.maxPromptTokens})`);
        }
        const leastTotal = (f.minPromptTokens ?? 1) + (f.minOutputTokens ?? 1);
        if (f.maxTotalTokens !== undefined && leastTotal > f.maxTotalTokens) {
          issue([...at('filter'), 'maxTotalTokens'], `must be at least the least prompt + output the other bounds allow (${leastTotal})`);
        }
      }
      if (processOf(s.arrival) === 'conditioned-poisson') {
        issue(at('arrival'), 'conditioned-poisson is a workload-level arrival (with stages, or rate and duration)');
      }
      const synthetic = ratioMix || s.rate !== undefined;
      if (s.trace === undefined || s.trace.loop) finite = false;
      if (s.trace?.hashBlockTokens !== undefined && s.trace.format !== 'mooncake') {
        issue(['sources', i, 'trace', 'hashBlockTokens'], 'only for traces in the mooncake layout (the others carry no block hashes)');
      }
      if (ratioMix) {
        if (s.ratio === undefined) issue(at('ratio'), 'required: the workload has a total rate split by ratio');
        if (s.rate !== undefined) issue(at('rate'), 'not allowed with a total workload.rate; use ratio');
        if (s.arrival !== undefined) issue(at('arrival'), 'in a ratio mix the arrival process is workload.arrival');
      } else {
        if (s.ratio !== undefined) issue(at('ratio'), 'ratio needs a total workload.rate');
        if (s.trace === undefined && s.rate === undefined) {
          issue(at('rate'), `required for a ${s.dataset !== undefined ? 'dataset' : s.pool !== undefined ? 'pool' : 'fixed'} source`);
        }
        if (s.trace !== undefined && s.rate === undefined && s.arrival !== undefined) {
          issue(at('arrival'), 'an arrival process needs a rate (without one the trace timestamps are used)');
        }
      }
      if (s.trace?.speedup !== undefined && synthetic) {
        issue(['sources', i, 'trace', 'speedup'], 'speedup scales trace timestamps; this source uses synthetic arrivals');
      }
      if (s.trace?.defaultOutputTokens !== undefined && s.trace.format !== 'aibrix') {
        issue(['sources', i, 'trace', 'defaultOutputTokens'], 'only for aibrix traces');
      }
      if (s.trace?.loop && !synthetic) {
        issue(['sources', i, 'trace', 'loop'], 'loop needs synthetic arrivals (give a rate)');
      }
    });
    if (w.duration === undefined && w.requests === undefined && w.stages === undefined && !finite) {
      issue([], 'give duration (seconds), requests (count) or stages');
    }
  });

/** The process name of an arrival config (undefined: none given). */
export function processOf(arrival: z.infer<typeof arrivalSchema> | undefined): string | undefined {
  return arrival === undefined ? undefined : typeof arrival === 'string' ? arrival : arrival.process;
}

export type WorkloadConfig = z.infer<typeof workloadSchema>;
export type WorkloadSourceConfig = z.infer<typeof sourceSchema>;
export type ArrivalConfig = z.infer<typeof arrivalSchema>;
export type TraceConfig = z.infer<typeof traceSchema>;
export type PoolConfig = z.infer<typeof poolSchema>;
export type StageConfig = z.infer<typeof stageSchema>;

/**
 * Validates a raw `workload:` section. The first problem becomes an InputError naming `file`
 * and the field path under `where` (e.g. "workload.sources[1].rate").
 */
export function parseWorkloadConfig(raw: unknown, file?: string, where = 'workload'): WorkloadConfig {
  const result = workloadSchema.safeParse(raw);
  if (!result.success) {
    const d = describeIssue(result.error.issues[0], where === '' ? [] : [where]);
    throw new InputError(d.message, file, d.where || undefined);
  }
  return result.data;
}
