import { z } from 'zod';
import { engineSchema, frontendSchema, pdSchema, resultsNameSchema, routerSchema, timingSchema } from '../experiment/schema.js';
import { workloadSchema } from '../workload/index.js';

const positiveInt = z.int().positive();
const rate = z.number().positive();

/** Seconds of arrivals per simulation when the workload gives neither duration nor requests. */
export const DEFAULT_PROBE_SECONDS = 90;

export const sloTargetSchema = z.strictObject({
  metric: z.enum(['ttft', 'tpot']).describe('ttft: time to first token; tpot: time per output token after the first'),
  maxMs: z.number().positive().describe('The bound, ms'),
  attainment: z
    .number()
    .gt(0)
    .max(100)
    .default(99)
    .describe('Percent of requests that must meet the bound (99 = the p99 latency is within it)'),
  class: z.string().min(1).optional().describe('Count only requests of this workload class'),
});

export const candidateSchema = z
  .strictObject({
    gpu: z.string().min(1).describe('GPU type from the catalog (sim list gpus)'),
    tp: positiveInt.default(1).describe('Tensor parallelism: GPUs per instance'),
    costPerHour: z.number().nonnegative().optional().describe("USD per GPU-hour (default: the catalog's example price)"),
    min: z.int().nonnegative().default(0).describe('A fleet that uses this type has at least this many instances of it'),
    max: positiveInt.optional().describe('At most this many instances of this type in a fleet (default: no limit)'),
    engine: engineSchema.optional(),
    timing: timingSchema.optional(),
    frontend: frontendSchema.optional(),
  })
  .refine((c) => c.max === undefined || c.min <= c.max, { message: 'min must not exceed max', path: ['min'] });

/** A policy to consider: a name, or a router section (policy, mode, options) as in experiments. */
export const policyChoiceSchema = z.union([
  z.string().min(1),
  z.strictObject({
    policy: z.string().min(1).describe('Routing policy name, mix or module path, as router.policy in experiments'),
    mode: routerSchema.shape.mode,
    options: routerSchema.shape.options,
    pullCapacity: routerSchema.shape.pullCapacity,
  }),
]);

export const planSchema = z
  .strictObject({
    name: resultsNameSchema.describe('Name of the plan; results go to results/<name>'),
    description: z.string().optional().describe('One line on what the plan sizes'),
    seed: z.int().nonnegative().default(1).describe('Seed of every simulation (workload and router streams)'),
    model: z.string().min(1).describe('Model from the catalog, e.g. Llama-3.1-8B'),
    workload: z
      .preprocess(
        (w) =>
          w !== null && typeof w === 'object' && !Array.isArray(w) && !('duration' in w) && !('requests' in w)
            ? { ...w, duration: DEFAULT_PROBE_SECONDS }
            : w,
        workloadSchema,
      )
      .describe(`As in experiments; its duration (default ${DEFAULT_PROBE_SECONDS} s) is the length of every simulation, its rates set the mix`),
    targetRate: z
      .union([
        rate,
        z
          .array(rate)
          .min(1)
          .superRefine((rs, ctx) => {
            const i = rs.findIndex((r, j) => rs.indexOf(r) < j);
            if (i >= 0) ctx.addIssue({ code: 'custom', message: `${rs[i]} req/s is listed twice: each target rate once`, path: [i] });
          }),
      ])
      .optional()
      .describe("Total request rate(s) to plan for, req/s (default: the workload's total rate)"),
    slo: z.array(sloTargetSchema).min(1).describe('Every target must be met: a fleet passes when, for each, the share of requests meeting it is at least its attainment'),
    objective: z.enum(['cost', 'gpus']).default('cost').describe('Rank fleets by cost per hour, or by number of GPUs'),
    costs: z
      .enum(['catalog', 'plan'])
      .default('catalog')
      .describe("catalog: a candidate without costPerHour costs the catalog's example price; plan: every candidate must give costPerHour"),
    candidates: z.array(candidateSchema).min(1).describe('GPU types (with TP, engine, price, count bounds) fleets are built from'),
    shapes: z
      .strictObject({
        aggregated: z
          .strictObject({
            gpus: z.array(z.string().min(1)).min(1).optional().describe('Candidates to pool (default: all)'),
            mixed: z.boolean().default(true).describe('Allow pools of several GPU types'),
            maxTypes: positiveInt.default(2).describe('At most this many GPU types in one pool'),
          })
          .optional()
          .describe('Unified pools of the candidates'),
        disaggregated: z
          .strictObject({
            prefill: z.array(z.string().min(1)).min(1).describe('Candidates for prefill instances'),
            decode: z.array(z.string().min(1)).min(1).describe('Candidates for decode instances'),
          })
          .optional()
          .describe('Prefill/decode (xPyD) fleets of the candidates'),
      })
      .refine((s) => s.aggregated !== undefined || s.disaggregated !== undefined, 'give aggregated, disaggregated or both')
      .default({ aggregated: { mixed: true, maxTypes: 2 } })
      .describe('Fleet shapes to consider (default: aggregated pools of up to 2 types)'),
    policies: z
      .strictObject({
        aggregated: z.array(policyChoiceSchema).min(1).default(['least-request']).describe('Unified policies to verify pools with'),
        disaggregated: z.array(policyChoiceSchema).min(1).default(['pd']).describe('PD policies to verify xPyD fleets with; the first also routes the decode probes'),
      })
      .prefault({})
      .describe('Policies each shape is verified with'),
    pd: pdSchema.optional().describe('KV transfer paths, as in experiments'),
    search: z
      .strictObject({
        precision: z.number().gt(0).lt(1).default(0.05).describe('Bisection stops when the bracket is narrower than this share of the rate'),
        verify: positiveInt.default(5).describe('Fleets simulated whole (each with every policy)'),
        maxHeadroom: z.number().gt(1).default(4).describe('Fleet capacity is measured up to this multiple of the target'),
      })
      .prefault({})
      .describe('How the sustainable rate is searched and how many fleets are verified'),
    outputs: z
      .strictObject({ dir: z.string().optional().describe('Results directory (default results/<name>)') })
      .prefault({})
      .describe('Where results are written'),
  })
  .superRefine((p, ctx) => {
    const seen = new Map<string, number>();
    p.candidates.forEach((c, i) => {
      const key = `${c.gpu.toLowerCase()}/tp${c.tp}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['candidates', i, 'gpu'], message: `${c.gpu} with tp ${c.tp} is already candidates[${seen.get(key)}]` });
      seen.set(key, i);
    });
    if (p.shapes.disaggregated) {
      for (const metric of ['ttft', 'tpot'] as const) {
        if (!p.slo.some((s) => s.metric === metric)) {
          ctx.addIssue({ code: 'custom', path: ['slo'], message: `disaggregated shapes need a ${metric} target (prefill is sized by TTFT, decode by TPOT)` });
        }
      }
    }
  });

export type PlanConfig = z.output<typeof planSchema>;
export type Candidate = z.output<typeof candidateSchema>;
export type PolicyChoice = z.output<typeof policyChoiceSchema>;
