import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError } from '../input-error.js';
import { unsafeNameReason } from '../experiment/safe-name.js';
import { decimalNumber } from '../workload/index.js';
import { parseQuotedCsv } from './quoted-csv.js';
import {
  readArchitecture,
  readArrival,
  readEngine,
  readOffload,
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
  /** FP8 weights: the precision column says FP8, or (without one) the model id does. */
  fp8: boolean;
  /** KV blocks the engine reported (vLLM's "GPU KV cache size" / block size), when the table has them. */
  measuredKvBlocks?: number;
  /** The model's architecture as the run table gives it, when it has the columns. */
  architecture?: RunArchitecture;
  /** Required architecture columns the row leaves empty while giving others. */
  architectureMissing?: string[];
  /** Why the architecture columns cannot describe a model (needed only when the catalog lacks it). */
  architectureInvalid?: string;
  /** What was assumed reading the row (free text not understood, an engine not modelled). */
  notes: string[];
  /** Whole run, then one entry per stage (same order as stages). */
  measured: MeasuredLatency;
  measuredStages: MeasuredLatency[];
}

const optionalNum = z
  .string()
  .optional()
  .transform((s, ctx) => {
    if (s === undefined || s.trim() === '') return undefined;
    const v = decimalNumber(s);
    if (!Number.isFinite(v)) {
      ctx.addIssue({ code: 'custom', message: `expected a number, got "${s}"` });
      return z.NEVER;
    }
    return v;
  });
/** A required number: an empty cell says so rather than reading as 0. */
const num = optionalNum.pipe(z.number({ error: 'empty' }));
/** An optional whole count: empty, or an integer of at least `min` ("16.0000" is 16). */
const optionalCount = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  optionalNum.pipe(z.number().int('expected a whole number').min(min, `expected at least ${min}`).max(max, `expected at most ${max}`).optional());
const list = z.string().transform((s, ctx) => {
  const values = s.split(';').map((x) => decimalNumber(x));
  if (values.some((v) => !(v > 0))) {
    ctx.addIssue({ code: 'custom', message: `expected ';'-separated positive numbers, got "${s}"` });
    return z.NEVER;
  }
  return values;
});

/** The columns a run description needs (the layout of sim2real_trainval/trainval_runs.csv). */
const rowSchema = z.object({
  // The id names the run's experiment file (trainval-<id>.yaml): it must not reach outside its directory.
  exp_id: z
    .string()
    .trim()
    .superRefine((id, ctx) => {
      const why = unsafeNameReason(id);
      if (why) ctx.addIssue({ code: 'custom', message: why });
    }),
  model: z.string().trim().min(1, 'empty'),
  gpu: z.string().trim().min(1, 'empty'),
  tp: num.pipe(z.number().int().positive()),
  stage_rates_rps: list,
  stage_durations_s: list,
  output_tokens_fixed: num.pipe(z.number().int().positive()),
  // Empty: no shared system prompt.
  system_prompt_tokens: optionalCount(0),
  question_tokens: num.pipe(z.number().int().positive()),
  max_num_seqs: num.pipe(z.number().int().positive()),
  max_num_batched_tokens: num.pipe(z.number().int().positive()),
  max_model_len: num.pipe(z.number().int().positive()),
  // Empty: vLLM's defaults (--block-size 16, --gpu-memory-utilization 0.9), with a note.
  kv_block_size: optionalCount(1),
  gpu_memory_utilization: optionalNum.pipe(z.number().gt(0).max(1).optional()),
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
  // "8.03" or "8.03B".
  params_b: z
    .string()
    .optional()
    .transform((s) => s?.trim().replace(/\s*b$/i, ''))
    .pipe(optionalNum),
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

/** A row that could not be read: where it is, and why (column and problem). */
export interface UnreadRow {
  /** The row's exp_id as written, or "line N" when it has none. */
  id: string;
  origin: string;
  reason: string;
}

/** The runs of a run table, and the rows it could not read (reported, not simulated). */
export interface RealRuns {
  runs: RealRun[];
  unread: UnreadRow[];
}

/**
 * Reads real runs from a CSV file, or from every .csv file of a directory (sorted by name). A row
 * with a bad cell is set aside with its reason, so one row does not hide the rest of a table; a
 * file that lacks a required column, or none of whose rows can be read, is bad input.
 */
export function readRealRuns(path: string): RealRuns {
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
  const read = files.map(readRunsFile);
  const runs = read.flatMap((r) => r.runs);
  const seen = new Set<string>();
  for (const r of runs) {
    if (seen.has(r.id)) throw new InputError(`duplicate exp_id "${r.id}"`, r.origin);
    seen.add(r.id);
  }
  return { runs, unread: read.flatMap((r) => r.unread) };
}

/** A cell's problem, for the row it is in. */
class RowError extends Error {}

/** The columns every row needs: a table without one of them is not a run table. */
const REQUIRED_COLUMNS = Object.entries(rowSchema.shape)
  .filter(([, schema]) => !schema.safeParse(undefined).success)
  .map(([column]) => column);

function readRunsFile(file: string): RealRuns {
  const { header, rows } = parseQuotedCsv(readFileSync(file, 'utf8'), file);
  const absent = REQUIRED_COLUMNS.filter((c) => !header.includes(c));
  if (absent.length > 0) throw new InputError(`missing column${absent.length > 1 ? 's' : ''} ${absent.join(', ')}`, file);
  const runs: RealRun[] = [];
  const unread: UnreadRow[] = [];
  for (const { line, fields } of rows) {
    // Rows of empty cells (what a spreadsheet leaves below a table) are not runs.
    if (fields.every((f) => f.trim() === '')) continue;
    const raw: Record<string, string> = {};
    header.forEach((h, i) => {
      if (fields[i] !== undefined) raw[h] = fields[i];
    });
    try {
      runs.push(readRow(raw, file, line));
    } catch (err) {
      if (!(err instanceof RowError)) throw err;
      const id = raw.exp_id?.trim() || `line ${line}`;
      unread.push({ id, origin: `${file} line ${line}`, reason: err.message });
    }
  }
  if (runs.length === 0 && unread.length > 0) throw new InputError(unread[0].reason, file, unread[0].origin.slice(file.length + 1));
  return { runs, unread };
}

function readRow(raw: Record<string, string>, file: string, line: number): RealRun {
  const parsed = rowSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const column = String(issue.path[0] ?? '');
    const message = issue.code === 'invalid_type' && raw[column] === undefined ? 'missing' : issue.message;
    throw new RowError(`${column}: ${message}`);
  }
  const r = parsed.data;
  if (r.stage_rates_rps.length !== r.stage_durations_s.length) {
    throw new RowError(`stage_rates_rps has ${r.stage_rates_rps.length} stages but stage_durations_s has ${r.stage_durations_s.length}`);
  }
  const metric = (prefix: string) => {
    const m: MeasuredLatency = {};
    for (const [key, column] of Object.entries(METRIC_COLUMNS) as [keyof MeasuredLatency, string][]) {
      const text = raw[prefix + column];
      if (text === undefined || text.trim() === '') continue;
      const v = decimalNumber(text);
      if (!Number.isFinite(v) || v < 0) throw new RowError(`${prefix}${column}: expected a non-negative number, got "${text}"`);
      m[key] = v;
    }
    return m;
  };
  const measuredOut = r.output_len_mean_meas;
  const at = { file, line: `line ${line}` };
  const notes: string[] = [];
  if (r.kv_block_size === undefined) notes.push('kv_block_size empty: vLLM\'s 16 assumed');
  if (r.gpu_memory_utilization === undefined) notes.push('gpu_memory_utilization empty: vLLM\'s 0.9 assumed');
  const { architecture, missing, invalid } = readArchitecture(r, r.params_b === undefined ? undefined : raw.params_b.trim().replace(/\s*b$/i, ''), r.model);
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
    systemPromptTokens: r.system_prompt_tokens ?? 0,
    questionTokens: r.question_tokens,
    ...(r.prompt_len_mean_meas !== undefined && r.prompt_len_mean_meas > 0 && { measuredPromptMean: r.prompt_len_mean_meas }),
    outputTokens: r.output_tokens_fixed,
    ...(measuredOut !== undefined && Math.abs(measuredOut - r.output_tokens_fixed) > 1 && { measuredOutputMean: measuredOut }),
    engine: {
      kind: readEngine(r.engine, notes),
      maxNumSeqs: r.max_num_seqs,
      maxNumBatchedTokens: r.max_num_batched_tokens,
      maxModelLen: r.max_model_len,
      blockSize: r.kv_block_size ?? 16,
      gpuMemoryUtilization: r.gpu_memory_utilization ?? 0.9,
      chunkedPrefill: readSwitch(r.chunked_prefill),
      prefixCaching: readSwitch(r.prefix_caching),
    },
    cpuOffload: readOffload(r.cpu_offload),
    fp8: r.precision?.trim() ? /fp8/i.test(r.precision) : /fp8/i.test(r.model),
    ...(r.gpu_kv_blocks !== undefined && r.gpu_kv_blocks > 0 && { measuredKvBlocks: r.gpu_kv_blocks }),
    ...(architecture && { architecture }),
    ...(missing.length > 0 && { architectureMissing: missing }),
    ...(invalid !== undefined && { architectureInvalid: invalid }),
    notes,
    measured: metric(''),
    measuredStages: r.stage_rates_rps.map((_, k) => metric(`s${k}_`)),
  };
}
