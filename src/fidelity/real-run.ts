import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError } from '../input-error.js';
import { parseQuotedCsv } from './quoted-csv.js';
import {
  readArchitecture,
  readArrival,
  readEngine,
  readPromptPool,
  readSwitch,
  type PromptPool,
  type RowPlace,
  type RunArchitecture,
  type RunArrival,
} from './run-columns.js';

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
  /** The same, for messages: the file and "line N". */
  place: RowPlace;
  model: string;
  gpu: string;
  tp: number;
  /** Data-parallel engines behind the run's one endpoint (vLLM --data-parallel-size); 1 when absent. */
  dp: number;
  stages: { rate: number; duration: number }[];
  /** The client's prompt pool: shared system prefixes x questions, cycled or drawn at random. */
  pool: PromptPool;
  /** How the client spaced arrivals: exactly rate x duration per stage (inference-perf), or a Poisson process. */
  arrival: RunArrival;
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
  /** Required architecture columns the row leaves empty while giving others. */
  architectureMissing?: string[];
  /** What was assumed reading the row (free text not understood, an engine not modelled). */
  notes: string[];
  /** Whole run, then one entry per stage (same order as stages). */
  measured: MeasuredLatency;
  measuredStages: MeasuredLatency[];
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
/** An optional whole count: empty, or an integer of at least `min` ("16.0000" is 16). */
const optionalCount = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  optionalNum.pipe(z.number().int('expected a whole number').min(min, `expected at least ${min}`).max(max, `expected at most ${max}`).optional());
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
  layers: optionalCount(1),
  hidden: optionalCount(1),
  n_heads: optionalCount(1),
  n_kv_heads: optionalCount(1),
  ffn: optionalCount(1),
  vocab: optionalCount(1),
  n_experts: optionalCount(0),
  experts_per_tok: optionalCount(0),
  params_b: optionalNum,
  head_dim: optionalCount(1),
  tie_word_embeddings: z.string().optional(),
  gpu_kv_blocks: optionalNum,
  dp: optionalCount(1, 64),
  chunked_prefill: z.string().optional(),
  engine: z.string().optional(),
  prompt_pool: z.string().optional(),
  arrival_process: z.string().optional(),
  prefix_caching: z.string().optional(),
  precision: z.string().optional(),
});

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
    const at = { file, line: `line ${line}` };
    const notes: string[] = [];
    const { architecture, missing } = readArchitecture(r, raw.params_b, r.model, at);
    return {
      id: r.exp_id,
      origin: `${file} line ${line}`,
      place: at,
      model: r.model,
      gpu: r.gpu,
      tp: r.tp,
      dp: r.dp ?? 1,
      stages: r.stage_rates_rps.map((rate, k) => ({ rate, duration: r.stage_durations_s[k] })),
      pool: readPromptPool(r.prompt_pool, notes),
      arrival: readArrival(r.arrival_process, notes),
      systemPromptTokens: r.system_prompt_tokens,
      questionTokens: r.question_tokens,
      ...(r.prompt_len_mean_meas !== undefined && r.prompt_len_mean_meas > 0 && { measuredPromptMean: r.prompt_len_mean_meas }),
      outputTokens: r.output_tokens_fixed,
      ...(measuredOut !== undefined && Math.abs(measuredOut - r.output_tokens_fixed) > 1 && { measuredOutputMean: measuredOut }),
      engine: {
        kind: readEngine(r.engine, notes),
        maxNumSeqs: r.max_num_seqs,
        maxNumBatchedTokens: r.max_num_batched_tokens,
        maxModelLen: r.max_model_len,
        blockSize: r.kv_block_size,
        gpuMemoryUtilization: r.gpu_memory_utilization,
        chunkedPrefill: readSwitch(r.chunked_prefill),
        prefixCaching: readSwitch(r.prefix_caching),
      },
      cpuOffload: /^true$/i.test(r.cpu_offload?.trim() ?? ''),
      ...(r.gpu_kv_blocks !== undefined && r.gpu_kv_blocks > 0 && { measuredKvBlocks: r.gpu_kv_blocks }),
      ...(architecture && { architecture }),
      ...(missing.length > 0 && { architectureMissing: missing }),
      notes,
      measured: metric(''),
      measuredStages: r.stage_rates_rps.map((_, k) => metric(`s${k}_`)),
    };
  });
}
