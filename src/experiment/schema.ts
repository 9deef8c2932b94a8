import { z } from 'zod';
import { SGLANG_ONLY, VLLM_ONLY } from '../serving/index.js';
// The module itself, not the workload index: a run should not load the dataset-deriving code.
import { workloadSchema } from '../workload/config.js';
import { isSafeName, SAFE_NAME, SAFE_NAME_MAX, unsafeNameReason } from './safe-name.js';

const positiveInt = z.int().positive();

/** A name that becomes a directory under the results root (experiments, plans): safe-name.ts. */
// The pattern and length stay in the schema (editors check them); every message is safe-name.ts's.
const nameReason = (issue: { input?: unknown }) => unsafeNameReason(issue.input);
export const resultsNameSchema = z
  .string()
  .max(SAFE_NAME_MAX, { error: nameReason })
  .regex(SAFE_NAME, { error: nameReason })
  .refine(isSafeName, { error: nameReason });

/**
 * Engine settings of a fleet entry: `sglang` or `vllm` alone, or the flags (camelCase) of the
 * engine named by `kind` (default vLLM). Defaults are the engine's own (docs/engines.md).
 */
export const engineSchema = z
  .union([
    z.enum(['vllm', 'sglang']),
    z
      .strictObject({
        kind: z.enum(['vllm', 'sglang']).optional().describe('Which engine runs the instance (default vllm)'),
        maxNumSeqs: positiveInt.optional().describe('vLLM max_num_seqs (default 256)'),
        maxNumBatchedTokens: positiveInt.optional().describe('vLLM max_num_batched_tokens (default 8192)'),
        blockSize: positiveInt.optional().describe('vLLM block_size (default 16)'),
        gpuMemoryUtilization: z.number().gt(0).max(1).optional().describe('vLLM gpu_memory_utilization (default 0.9)'),
        enableChunkedPrefill: z.boolean().optional().describe('default true'),
        enablePrefixCaching: z.boolean().optional().describe('default true'),
        maxModelLen: positiveInt.optional().describe("default: the model's context length"),
        asyncScheduling: z
          .boolean()
          .optional()
          .describe('vLLM --async-scheduling: a request arriving during step k first runs in step k+2 (default true, as vLLM; false: k+1)'),
        flashinferSampler: z
          .boolean()
          .optional()
          .describe('vLLM VLLM_USE_FLASHINFER_SAMPLER=1: top-p/top-k without sorting the logits (default false, as vLLM v0.15)'),
        maxRunningRequests: positiveInt.optional().describe('SGLang --max-running-requests (default from the KV pool: 2048 to 4096)'),
        chunkedPrefillSize: z.int().min(-1).optional().describe('SGLang --chunked-prefill-size, -1 disables (default by GPU memory: 2048 under 35 GB, 8192 under 160 GB, else 16384)'),
        maxPrefillTokens: positiveInt.optional().describe('SGLang --max-prefill-tokens (default 16384)'),
        schedulePolicy: z.enum(['fcfs', 'lpm', 'dfs-weight']).optional().describe('SGLang --schedule-policy (default fcfs)'),
        scheduleConservativeness: z.number().positive().optional().describe('SGLang --schedule-conservativeness (default 1.0)'),
        enableMixedChunk: z.boolean().optional().describe('SGLang --enable-mixed-chunk (default false)'),
        disableRadixCache: z.boolean().optional().describe('SGLang --disable-radix-cache (default false)'),
        pageSize: positiveInt.optional().describe('SGLang --page-size (default 1)'),
        memFractionStatic: z.number().gt(0).max(1).optional().describe('SGLang --mem-fraction-static (default 0.88 at tp 1, less at higher tp)'),
        stepOverheadMs: z.number().nonnegative().max(1000).optional().describe('Host time per engine step, ms: scheduler pass, input preparation, launch, sampling (default 0.25, fitted on vLLM v0.15.1; docs/timing.md)'),
        stepOverheadPerSeqUs: z.number().nonnegative().max(1e6).optional().describe('Host time per sequence in a step, microseconds (default 0)'),
      })
      .superRefine((e, ctx) => {
        const sglang = e.kind === 'sglang';
        for (const key of Object.keys(e)) {
          if (sglang && key in VLLM_ONLY) {
            ctx.addIssue({ code: 'custom', path: [key], message: `${key} is a vLLM setting; for kind: sglang use ${VLLM_ONLY[key]}` });
          } else if (!sglang && SGLANG_ONLY.includes(key)) {
            ctx.addIssue({ code: 'custom', path: [key], message: `${key} is an SGLang setting: add kind: sglang` });
          }
        }
        const chunk = e.chunkedPrefillSize;
        if (chunk !== undefined && (chunk === 0 || (chunk > 0 && chunk % (e.pageSize ?? 1) !== 0))) {
          ctx.addIssue({ code: 'custom', path: ['chunkedPrefillSize'], message: 'chunkedPrefillSize must be -1 or a positive multiple of pageSize' });
        }
      }),
  ])
  .describe('Inference engine: vllm (default), sglang, or settings');

export const timingSchema = z
  .union([
    z.literal('roofline'),
    z.strictObject({ table: z.string().min(1).describe('CSV of measured step times (see docs/timing.md)') }),
  ])
  .describe('Step-time model: roofline (default) or {table: file}');

/** The API server path between client and engine (docs/timing.md); defaults fitted on real vLLM runs. */
export const frontendSchema = z
  .strictObject({
    requestMs: z.number().nonnegative().optional().describe('Client send to engine queue: HTTP, tokenizer, hand-off (ms)'),
    responseMs: z.number().nonnegative().optional().describe('Engine token to client: detokenizer, streaming (ms)'),
  })
  .describe('Front-end latency of the API server (default: fitted, docs/timing.md)');

export const fleetEntrySchema = z.strictObject({
  gpu: z.string().min(1).describe('GPU type from the catalog, e.g. H100-SXM'),
  count: positiveInt.max(4096).default(1).describe('Number of instances'),
  tp: positiveInt.default(1).describe('Tensor parallelism (GPUs per instance)'),
  expertParallel: z.boolean().optional().describe('MoE models: place whole experts on the TP ranks (vLLM --enable-expert-parallel) instead of sharding every expert'),
  role: z.enum(['unified', 'prefill', 'decode']).default('unified').describe('unified serves whole requests; prefill or decode: one half of a disaggregated pair (docs/pd.md)'),
  roleset: z.string().min(1).optional().describe('AIBrix roleset: prefill and decode pairs are chosen inside one roleset'),
  node: z.string().min(1).optional().describe('Node name: P->D transfers between instances on one node use NVLink'),
  dp: positiveInt.max(64).default(1).describe('Data-parallel ranks per instance (SGLang --dp-size)'),
  dpDispatch: z
    .enum(['round_robin', 'shortest_queue', 'minimum_tokens', 'minimum_tokens_legacy', 'follow_bootstrap_room'])
    .optional()
    .describe('How requests are spread over DP ranks (SGLang --load-balance-method, late-2025 version: minimum_tokens is deprecated there and runs round_robin; minimum_tokens_legacy = the sglang #7379 rule; default round_robin)'),
  costPerHour: z.number().nonnegative().optional().describe('Overrides the catalog cost per GPU-hour'),
  engine: engineSchema.optional(),
  timing: timingSchema.optional(),
  frontend: frontendSchema.optional(),
});

/** 0 (always fresh) or at least 1 ms: finer ticks only cost time and look like a hang. */
const refreshMs = z
  .number()
  .refine((v) => v === 0 || v >= 1, 'use 0 (always fresh) or an interval of at least 1 ms');

const refreshSchema = z
  .strictObject({
    default: refreshMs.optional().describe('Refresh interval of every engine metric, ms (default 50)'),
    queue: refreshMs.optional().describe('Running/waiting counts, ms'),
    kvUsage: refreshMs.optional().describe('KV cache usage, ms'),
    throughput: refreshMs.optional().describe('Token throughput, ms'),
    latency: refreshMs.optional().describe('Mean TTFT/TPOT, ms'),
  })
  .describe('How often the router sees fresh engine metrics (0 = always fresh)');

export const routerSchema = z.strictObject({
  policy: z
    .string()
    .min(1)
    .default('round-robin')
    .describe('Policy name (e.g. least-request, slo, cache_aware), an a:w,b mix, or a module path ./my-policy.js'),
  mode: z.enum(['push', 'pull']).default('push').describe('push: the policy picks an instance at arrival; pull: a router queue, instances take work when they have room'),
  pullCapacity: z
    .enum(['instance', 'pending-load'])
    .optional()
    .describe("Pull mode: 'instance' = free batch slot and KV headroom (default); 'pending-load' = AIBrix profile load <= 1"),
  options: z.record(z.string(), z.unknown()).optional().describe("The policy's own settings"),
  profiles: z.string().min(1).optional().describe('Directory or file of AIBrix-format profiles'),
  profileModel: z
    .string()
    .min(1)
    .optional()
    .describe("Model name the profiles are stored under (AIBrix key aibrix:profile_<model>_<deployment>, matched case-sensitively against model; default: model)"),
  deployments: z
    .record(z.string().min(1), z.string().min(1))
    .optional()
    .describe("AIBrix deployment name (a profile's gpu field) -> GPU type of a fleet entry"),
  timeoutS: z
    .number()
    .positive()
    .optional()
    .describe('Gateway timeout for requests waiting in a router queue, s (AIBrix ext_proc messageTimeout 60 s; default: none)'),
  refreshMs: refreshSchema.optional(),
});

const targetsSchema = z.strictObject({
  ttftMs: z.number().positive().optional().describe('Time to first token target, ms'),
  tpotMs: z.number().positive().optional().describe('Time per output token target (after the first), ms'),
  e2eMs: z.number().positive().optional().describe('End-to-end latency target, ms'),
  tpatMs: z.number().positive().optional().describe("Per-token latency E2E / (prompt + output), ms (AIBrix's TPAT)"),
});

export const sloSchema = targetsSchema
  .extend({
    percentile: z.number().gt(0).max(100).default(99).describe('Percentile reported against the targets'),
    classes: z.record(z.string(), targetsSchema).optional().describe('Per workload class targets'),
  })
  .strict();

const linkSchema = z.strictObject({
  bandwidthGBs: z.number().positive().describe('GB/s shared by concurrent transfers on the path'),
  latencyMs: z.number().nonnegative().describe('Fixed cost per transfer, ms'),
});

/** Prefill/decode KV transfer paths. */
export const pdSchema = z.strictObject({
  rdma: linkSchema.optional().describe('Between nodes (default 50 GB/s = one 400 Gb/s NIC, 0.4 ms)'),
  nvlink: linkSchema.optional().describe('Within a node (default 300 GB/s, 0.02 ms)'),
  links: z
    .array(
      z.strictObject({
        from: z.string().min(1).describe('Prefill instance id, e.g. H800-prefill-0'),
        to: z.string().min(1).describe('Decode instance id, e.g. H20-decode-1'),
        kind: z.enum(['rdma', 'nvlink']).optional().describe('Which default link the path starts from'),
        bandwidthGBs: z.number().positive().optional().describe('GB/s of this path'),
        latencyMs: z.number().nonnegative().optional().describe('Fixed cost per transfer on this path, ms'),
      }),
    )
    .optional()
    .describe('Per-path overrides'),
});

export const outputsSchema = z.strictObject({
  requestsCsv: z.boolean().default(false).describe('Write requests.csv with one row per request'),
  dir: z.string().min(1).optional().describe('Results directory, relative to this file (default results/<name> under the working directory)'),
});

const sweepValues = z.array(z.unknown()).min(1, 'a sweep needs at least one value');

/** Field paths varied together: the i-th values of every list make one step, so the lists must be equally long. */
export const zipGroupSchema = z
  .record(z.string(), sweepValues)
  .refine((g) => Object.keys(g).length > 0, 'a zip group needs at least one field path')
  .superRefine((g, ctx) => {
    const entries = Object.entries(g);
    const [first, n] = [entries[0]?.[0], entries[0]?.[1].length];
    for (const [path, values] of entries) {
      if (values.length !== n) {
        ctx.addIssue({ code: 'custom', path: [path], message: `zipped lists must be equally long ("${first}" has ${n} values, "${path}" has ${values.length})` });
      }
    }
  });

/**
 * Values swept over, as a cartesian product: a field path (e.g. router.policy,
 * workload.sources[0].rate) mapped to a list; `rates:` a list of total request rates; `zip:`
 * groups of paths varied together.
 */
export const sweepSchema = z
  .object({
    rates: z
      .array(z.number().positive())
      .min(1, 'a sweep needs at least one value')
      .optional()
      .describe('Total request rates, req/s: set workload.rate, or scale every source rate keeping the mix'),
    zip: z.array(zipGroupSchema).min(1).optional().describe('Groups of field paths varied together (equally long lists)'),
  })
  .catchall(sweepValues)
  .superRefine((sweep, ctx) => {
    // "rate" is how points record the rates: shorthand, and no field of an experiment.
    if (Object.hasOwn(sweep, 'rate')) {
      ctx.addIssue({ code: 'custom', path: ['rate'], message: 'sweep path "rate" does not exist in the schema (for total request rates use rates:)' });
    }
  });

export const experimentSchema = z.strictObject({
  name: resultsNameSchema.describe('Name of the experiment; results go to results/<name>'),
  description: z.string().optional().describe('What the experiment shows (the report prints it)'),
  seed: z.int().nonnegative().default(1).describe('Seed of every random stream: same experiment and seed, same results'),
  replicates: z
    .int()
    .min(1)
    .max(1000)
    .optional()
    .describe('Runs of each point with seeds seed, seed+1, ..., seed+N-1; reports give their mean and 95% CI (default 1)'),
  model: z.string().min(1).describe('Model from the catalog, e.g. Llama-3.1-8B'),
  catalogs: z
    .strictObject({
      models: z.string().min(1).optional().describe('Model catalog file merged over profiles/models.yaml (relative to this file)'),
      gpus: z.string().min(1).optional().describe('GPU catalog file merged over profiles/gpus.yaml (relative to this file)'),
    })
    .optional()
    .describe('Own model and GPU catalog files, merged over the shipped ones'),
  fleet: z.array(fleetEntrySchema).min(1).describe('Instances: GPU type, count, parallelism, role, engine'),
  workload: workloadSchema.describe('Request sources, their mix and arrival processes, duration or request count'),
  router: routerSchema.prefault({}).describe('Routing policy, push or pull mode, metric staleness'),
  slo: sloSchema.optional().describe('Latency targets every request is judged against (and per class)'),
  pd: pdSchema.optional().describe('KV transfer paths between prefill and decode instances'),
  sweep: sweepSchema.optional().describe('Field paths mapped to lists of values: every combination is a point'),
  outputs: outputsSchema.prefault({}).describe('Extra outputs and where results go'),
});

export type ExperimentConfig = z.output<typeof experimentSchema>;
export type FleetEntry = z.output<typeof fleetEntrySchema>;
