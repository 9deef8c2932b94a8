import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError } from '../input-error.js';
import { parseQuotedCsv } from './quoted-csv.js';

/** Latency figures of one scope (the whole run or one stage), ms; absent where the source has none. */
export interface MeasuredLatency {
  ttftMean?: number;
  ttftP90?: number;
  ttftP99?: number;
  tpotMean?: number;
  e2eMean?: number;
  e2eP90?: number;
  e2eP99?: number;
}

/** One real serving run: how it was configured and what its client measured. */
export interface RealRun {
  id: string;
  /** Where it came from: "file line N". */
  origin: string;
  model: string;
  gpu: string;
  tp: number;
  /** Data-parallel engines behind the run's one endpoint (vLLM --data-parallel-size); 1 when absent. */
  dp: number;
  stages: { rate: number; duration: number }[];
  /** The client's prompt pool: shared system prefixes x questions, cycled or drawn at random. */
  pool: { prefixes: number; questions: number; order: 'cyclic' | 'random' };
  /** How the client spaced arrivals: exactly rate x duration per stage (inference-perf), or a Poisson process. */
  arrival: 'conditioned-poisson' | 'poisson';
  systemPromptTokens: number;
  questionTokens: number;
  /** The client's mean prompt length in tokens, when the table reports it (prompt_len_mean_meas). */
  measuredPromptMean?: number;
  outputTokens: number;
  /** The client's mean output length when it differs from outputTokens (TPOT is computed with it). */
  measuredOutputMean?: number;
  engine: {
    /** The engine column: SGLang when it names SGLang, else vLLM (the table's layout is vLLM's). */
    kind: 'vllm' | 'sglang';
    maxNumSeqs: number;
    maxNumBatchedTokens: number;
    maxModelLen: number;
    blockSize: number;
    gpuMemoryUtilization: number;
    /** chunked_prefill / prefix_caching columns: on unless they say off (vLLM V1's defaults). */
    chunkedPrefill: boolean;
    prefixCaching: boolean;
  };
  cpuOffload: boolean;
  /** KV blocks the engine reported (vLLM's "GPU KV cache size" / block size), when the table has them. */
  measuredKvBlocks?: number;
  /** The model's architecture as the run table gives it, when it has the columns. */
  architecture?: RunArchitecture;
  /** Whole run, then one entry per stage (same order as stages). */
  measured: MeasuredLatency;
  measuredStages: MeasuredLatency[];
}

/**
 * The architecture columns of a run table (layers, hidden, n_heads, n_kv_heads, ffn, vocab;
 * n_experts and experts_per_tok for MoE models; params_b and precision): enough to time a model
 * the catalog lacks (run-architecture.ts).
 */
export interface RunArchitecture {
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  /** FFN width: of the dense MLP, or of one routed expert in an MoE model. */
  ffn: number;
  vocab: number;
  experts?: number;
  expertsPerToken?: number;
  /** Published parameter count, billions (vision towers included where the model has one). */
  paramsB?: number;
  /** FP8 weights (precision column FP8). */
  fp8: boolean;
}

const num = z.coerce.number().refine(Number.isFinite, 'expected a number');
const optionalNum = z
  .string()
  .optional()
  .transform((s, ctx) => {
    if (s === undefined || s.trim() === '') return undefined;
    const v = Number(s);
    if (!Number.isFinite(v)) {
      ctx.addIssue({ code: 'custom', message: `expected a number, got "${s}"` });
      return z.NEVER;
    }
    return v;
  });
const list = z.string().transform((s, ctx) => {
  const values = s.split(';').map((x) => Number(x.trim()));
  if (values.some((v) => !(v > 0))) {
    ctx.addIssue({ code: 'custom', message: `expected ';'-separated positive numbers, got "${s}"` });
    return z.NEVER;
  }
  return values;
});

/** The columns a run description needs (the layout of sim2real_trainval/trainval_runs.csv). */
const rowSchema = z.object({
  exp_id: z.string().min(1),
  model: z.string().min(1),
  gpu: z.string().min(1),
  tp: num.pipe(z.number().int().positive()),
  stage_rates_rps: list,
  stage_durations_s: list,
  output_tokens_fixed: num.pipe(z.number().int().positive()),
  system_prompt_tokens: num.pipe(z.number().int().nonnegative()),
  question_tokens: num.pipe(z.number().int().positive()),
  max_num_seqs: num.pipe(z.number().int().positive()),
  max_num_batched_tokens: num.pipe(z.number().int().positive()),
  max_model_len: num.pipe(z.number().int().positive()),
  kv_block_size: num.pipe(z.number().int().positive()),
  gpu_memory_utilization: num.pipe(z.number().gt(0).max(1)),
  cpu_offload: z.string().optional(),
  output_len_mean_meas: optionalNum,
  prompt_len_mean_meas: optionalNum,
  layers: optionalNum,
  hidden: optionalNum,
  n_heads: optionalNum,
  n_kv_heads: optionalNum,
  ffn: optionalNum,
  vocab: optionalNum,
  n_experts: optionalNum,
  experts_per_tok: optionalNum,
  params_b: optionalNum,
  gpu_kv_blocks: optionalNum,
  dp: optionalNum,
  chunked_prefill: z.string().optional(),
  engine: z.string().optional(),
  prompt_pool: z.string().optional(),
  arrival_process: z.string().optional(),
  prefix_caching: z.string().optional(),
  precision: z.string().optional(),
});

type Row = z.output<typeof rowSchema>;

/**
 * The prompt_pool column ("10 groups x 10 prompts ..., cycled in fixed shuffled order"): its
 * sizes and order; inference-perf's defaults (10 x 10, cyclic) where it does not say.
 */
function promptPool(text: string | undefined): RealRun['pool'] {
  const sizes = /(\d+)\s*(?:groups?|prefix(?:es)?)\s*x\s*(\d+)/i.exec(text ?? '');
  return {
    prefixes: sizes ? Math.max(1, Number(sizes[1])) : 10,
    questions: sizes ? Math.max(1, Number(sizes[2])) : 10,
    order: /random/i.test(text ?? '') && !/cycl/i.test(text ?? '') ? 'random' : 'cyclic',
  };
}

/**
 * The arrival_process column: inference-perf's "constant" (exponential gaps rescaled to the
 * stage) is conditioned Poisson, as is a table that does not say; a plain Poisson process
 * (benchmark_serving's --request-rate) when it says poisson and nothing of rescaling.
 */
function arrivalProcess(text: string | undefined): RealRun['arrival'] {
  const t = text ?? '';
  return /poisson/i.test(t) && !/rescal|condition|constant|exactly/i.test(t) ? 'poisson' : 'conditioned-poisson';
}

/** "off", "false", "no", "disabled", "0" (possibly followed by a remark in brackets). */
function isOff(text: string | undefined): boolean {
  return /^\s*(off|false|no|disabled?|0)\b/i.test(text ?? '');
}

function dataParallel(dp: number | undefined, file: string, line: number): number {
  if (dp === undefined) return 1;
  if (!Number.isInteger(dp) || dp < 1) throw new InputError(`dp: expected a positive integer, got ${dp}`, file, `line ${line}`);
  return dp;
}

const ARCHITECTURE_COLUMNS = ['layers', 'hidden', 'n_heads', 'n_kv_heads', 'ffn', 'vocab'] as const;

/** The row's architecture, when it gives every required column; a bad value names its column. */
function architectureOf(r: Row, file: string, line: number): RunArchitecture | undefined {
  if (ARCHITECTURE_COLUMNS.some((c) => r[c] === undefined)) return undefined;
  const positiveInt = (column: keyof Row, v: number | undefined): number | undefined => {
    if (v === undefined) return undefined;
    if (!Number.isInteger(v) || v <= 0) throw new InputError(`${String(column)}: expected a positive integer, got ${v}`, file, `line ${line}`);
    return v;
  };
  const heads = positiveInt('n_heads', r.n_heads)!;
  const kvHeads = positiveInt('n_kv_heads', r.n_kv_heads)!;
  if (heads % kvHeads !== 0) throw new InputError(`n_kv_heads: ${kvHeads} does not divide n_heads ${heads}`, file, `line ${line}`);
  const experts = positiveInt('n_experts', r.n_experts);
  const expertsPerToken = positiveInt('experts_per_tok', r.experts_per_tok);
  if ((experts === undefined) !== (expertsPerToken === undefined) || (experts !== undefined && expertsPerToken! > experts)) {
    throw new InputError('n_experts and experts_per_tok: give both, with experts_per_tok <= n_experts', file, `line ${line}`);
  }
  return {
    layers: positiveInt('layers', r.layers)!,
    hidden: positiveInt('hidden', r.hidden)!,
    heads,
    kvHeads,
    ffn: positiveInt('ffn', r.ffn)!,
    vocab: positiveInt('vocab', r.vocab)!,
    ...(experts !== undefined && experts > 1 && { experts, expertsPerToken }),
    ...(r.params_b !== undefined && r.params_b > 0 && { paramsB: r.params_b }),
    fp8: /^fp8/i.test(r.precision?.trim() ?? ''),
  };
}

const METRIC_COLUMNS: Record<keyof MeasuredLatency, string> = {
  ttftMean: 'ttft_mean_ms',
  ttftP90: 'ttft_p90_ms',
  ttftP99: 'ttft_p99_ms',
  tpotMean: 'tpot_mean_ms',
  e2eMean: 'e2e_mean_ms',
  e2eP90: 'e2e_p90_ms',
  e2eP99: 'e2e_p99_ms',
};

/** Reads real runs from a CSV file, or from every .csv file of a directory (sorted by name). */
export function readRealRuns(path: string): RealRun[] {
  let files: string[];
  try {
    files = statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((f) => f.endsWith('.csv'))
          .sort()
          .map((f) => join(path, f))
      : [path];
  } catch {
    throw new InputError('no such file or directory', path);
  }
  if (files.length === 0) throw new InputError('no .csv files of real runs in this directory', path);
  const runs = files.flatMap(readRunsFile);
  const seen = new Set<string>();
  for (const r of runs) {
    if (seen.has(r.id)) throw new InputError(`duplicate exp_id "${r.id}"`, r.origin);
    seen.add(r.id);
  }
  return runs;
}

function readRunsFile(file: string): RealRun[] {
  const { header, rows } = parseQuotedCsv(readFileSync(file, 'utf8'), file);
  return rows.map(({ line, fields }) => {
    const raw: Record<string, string> = {};
    header.forEach((h, i) => {
      if (fields[i] !== undefined) raw[h] = fields[i];
    });
    const parsed = rowSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const column = String(issue.path[0] ?? '');
      const message = issue.code === 'invalid_type' && raw[column] === undefined ? 'missing column' : issue.message;
      throw new InputError(`${column}: ${message}`, file, `line ${line}`);
    }
    const r = parsed.data;
    if (r.stage_rates_rps.length !== r.stage_durations_s.length) {
      throw new InputError(
        `stage_rates_rps has ${r.stage_rates_rps.length} stages but stage_durations_s has ${r.stage_durations_s.length}`,
        file,
        `line ${line}`,
      );
    }
    const metric = (prefix: string) => {
      const m: MeasuredLatency = {};
      for (const [key, column] of Object.entries(METRIC_COLUMNS) as [keyof MeasuredLatency, string][]) {
        const text = raw[prefix + column.replace(/_ms$/, '_ms')];
        if (text === undefined || text.trim() === '') continue;
        const v = Number(text);
        if (!Number.isFinite(v)) throw new InputError(`${prefix}${column}: expected a number, got "${text}"`, file, `line ${line}`);
        m[key] = v;
      }
      return m;
    };
    const measuredOut = r.output_len_mean_meas;
    const architecture = architectureOf(r, file, line);
    return {
      id: r.exp_id,
      origin: `${file} line ${line}`,
      model: r.model,
      gpu: r.gpu,
      tp: r.tp,
      dp: dataParallel(r.dp, file, line),
      stages: r.stage_rates_rps.map((rate, k) => ({ rate, duration: r.stage_durations_s[k] })),
      pool: promptPool(r.prompt_pool),
      arrival: arrivalProcess(r.arrival_process),
      systemPromptTokens: r.system_prompt_tokens,
      questionTokens: r.question_tokens,
      ...(r.prompt_len_mean_meas !== undefined && r.prompt_len_mean_meas > 0 && { measuredPromptMean: r.prompt_len_mean_meas }),
      outputTokens: r.output_tokens_fixed,
      ...(measuredOut !== undefined && Math.abs(measuredOut - r.output_tokens_fixed) > 1 && { measuredOutputMean: measuredOut }),
      engine: {
        kind: /sglang/i.test(r.engine ?? '') ? 'sglang' : 'vllm',
        maxNumSeqs: r.max_num_seqs,
        maxNumBatchedTokens: r.max_num_batched_tokens,
        maxModelLen: r.max_model_len,
        blockSize: r.kv_block_size,
        gpuMemoryUtilization: r.gpu_memory_utilization,
        chunkedPrefill: !isOff(r.chunked_prefill),
        prefixCaching: !isOff(r.prefix_caching),
      },
      cpuOffload: /^true$/i.test(r.cpu_offload?.trim() ?? ''),
      ...(r.gpu_kv_blocks !== undefined && r.gpu_kv_blocks > 0 && { measuredKvBlocks: r.gpu_kv_blocks }),
      ...(architecture && { architecture }),
      measured: metric(''),
      measuredStages: r.stage_rates_rps.map((_, k) => metric(`s${k}_`)),
    };
  });
}
