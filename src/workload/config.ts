import { z } from 'zod';
import { InputError } from '../input-error.js';
import { TRACE_FORMATS } from './trace/trace-reader.js';
import { describeIssue } from '../zod-issue.js';

const ARRIVAL_HINT = 'expected poisson, constant, {process: gamma, cv: <number>}';

/** `poisson` | `constant` | `{process: poisson}` | `{process: constant}` | `{process: gamma, cv}`. */
export const arrivalSchema = z
  .union([
    z.enum(['poisson', 'constant'], { error: ARRIVAL_HINT }),
    z.discriminatedUnion(
      'process',
      [
        z.strictObject({ process: z.literal('poisson') }),
        z.strictObject({ process: z.literal('constant') }),
        z.strictObject({
          process: z.literal('gamma'),
          cv: z.number().positive().describe('Coefficient of variation of the gaps (1 = Poisson)'),
        }),
      ],
      { error: ARRIVAL_HINT },
    ),
  ])
  .describe('Arrival process; default poisson');

export const traceSchema = z.strictObject({
  format: z.enum(TRACE_FORMATS as ['mooncake', 'azure', 'vidur', 'aibrix']),
  path: z.string().min(1).describe('Trace file, relative to the experiment file'),
  speedup: z.number().positive().optional().describe('Divides trace timestamps: 2 halves the gaps'),
  loop: z.boolean().optional().describe('Restart the trace when it ends (only with synthetic arrivals)'),
  defaultOutputTokens: z.int().positive().optional().describe('AIBrix: output length when output_length is null'),
});

export const sourceSchema = z.strictObject({
  class: z.string().min(1).describe('Workload class name for metrics and SLOs'),
  dataset: z.string().min(1).optional().describe('Shipped definition name (sharegpt, bird) or a definition file path'),
  trace: traceSchema.optional(),
  rate: z.number().positive().optional().describe('Requests per second of this source'),
  ratio: z.number().positive().optional().describe('Weight of this source under a total workload.rate'),
  arrival: arrivalSchema.optional(),
  maxPromptTokens: z.int().positive().optional().describe('Longer prompts are cut to this'),
  maxOutputTokens: z.int().positive().optional().describe('Longer outputs are cut to this'),
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
    arrival: arrivalSchema.optional(),
    sources: z.array(sourceSchema).min(1),
  })
  .superRefine((w, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const ratioMix = w.rate !== undefined;
    if (!ratioMix && w.arrival !== undefined) {
      issue(['arrival'], 'a workload-level arrival needs a total rate; otherwise give each source its own arrival');
    }
    let finite = true;
    w.sources.forEach((s, i) => {
      const at = (key: string) => ['sources', i, key];
      if ((s.dataset === undefined) === (s.trace === undefined)) {
        issue(['sources', i], 'give exactly one of dataset or trace');
      }
      const synthetic = ratioMix || s.rate !== undefined;
      if (s.dataset !== undefined || s.trace?.loop) finite = false;
      if (ratioMix) {
        if (s.ratio === undefined) issue(at('ratio'), 'required: the workload has a total rate split by ratio');
        if (s.rate !== undefined) issue(at('rate'), 'not allowed with a total workload.rate; use ratio');
        if (s.arrival !== undefined) issue(at('arrival'), 'in a ratio mix the arrival process is workload.arrival');
      } else {
        if (s.ratio !== undefined) issue(at('ratio'), 'ratio needs a total workload.rate');
        if (s.dataset !== undefined && s.rate === undefined) issue(at('rate'), 'required for a dataset source');
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
    if (w.duration === undefined && w.requests === undefined && !finite) {
      issue([], 'give duration (seconds) or requests (count)');
    }
  });

export type WorkloadConfig = z.infer<typeof workloadSchema>;
export type WorkloadSourceConfig = z.infer<typeof sourceSchema>;
export type ArrivalConfig = z.infer<typeof arrivalSchema>;
export type TraceConfig = z.infer<typeof traceSchema>;

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
