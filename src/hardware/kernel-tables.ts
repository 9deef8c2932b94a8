/**
 * Readers for the kernel tables of ../shared/data/gpu_measurements (their PROVENANCE.md):
 * AIConfigurator's vLLM attention and all-reduce tables and Frontier's Vidur-style H800
 * attention profile. Each becomes plain rows; the fits live in attention-fit.ts and
 * allreduce-fit.ts.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../input-error.js';
import { parseCsv } from './csv-lines.js';

/** One decode-attention call of one layer: `batch` sequences, each with `context` tokens in KV. */
export interface DecodeAttentionRow {
  batch: number;
  context: number;
  qHeads: number;
  kvHeads: number;
  headDim: number;
  kvBytes: number;
  seconds: number;
}

/** One prefill-attention call: `batch` fresh prompts of `promptLen` tokens. */
export interface PrefillAttentionRow {
  batch: number;
  promptLen: number;
  qHeads: number;
  kvHeads: number;
  headDim: number;
  seconds: number;
}

/** One all-reduce of `elements` 16-bit values over `tp` GPUs with one kernel. */
export interface AllReduceRow {
  kernel: string;
  tp: number;
  elements: number;
  seconds: number;
}

type Table = { get(row: number, col: string): string; num(row: number, col: string): number; rows: number };

function readTable(file: string): Table {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read file (${(err as NodeJS.ErrnoException).code ?? String(err)})`, file);
  }
  const csv = parseCsv(text);
  if (!csv) throw new InputError('empty table', file);
  const index = (col: string): number => {
    const i = csv.header.indexOf(col);
    if (i < 0) throw new InputError(`missing column "${col}"`, file, `line ${csv.headerLine}`);
    return i;
  };
  return {
    rows: csv.rows.length,
    get: (r, col) => csv.rows[r].cells[index(col)] ?? '',
    num: (r, col) => {
      const cell = csv.rows[r].cells[index(col)];
      const v = Number(cell);
      if (cell === undefined || cell === '' || !Number.isFinite(v)) {
        throw new InputError(`column "${col}" is not a number`, file, `line ${csv.rows[r].line}`);
      }
      return v;
    },
  };
}

/** AIConfigurator generation_attention table; `kernels` limits the kernel_source values kept. */
export function readAicDecodeAttention(file: string, kernels?: readonly string[]): DecodeAttentionRow[] {
  const t = readTable(file);
  const out: DecodeAttentionRow[] = [];
  for (let r = 0; r < t.rows; r++) {
    if (kernels && !kernels.includes(t.get(r, 'kernel_source'))) continue;
    out.push({
      batch: t.num(r, 'batch_size'),
      // The history before the query token, plus the token itself.
      context: t.num(r, 'kv_history_len_tokens') + 1,
      qHeads: t.num(r, 'num_q_heads'),
      kvHeads: t.num(r, 'num_kv_heads'),
      headDim: t.num(r, 'head_dim'),
      kvBytes: t.get(r, 'kv_cache_dtype') === 'fp8' ? 1 : 2,
      seconds: t.num(r, 'latency_ms_per_layer') / 1000,
    });
  }
  return out;
}

export function readAicPrefillAttention(file: string, kernels?: readonly string[]): PrefillAttentionRow[] {
  const t = readTable(file);
  const out: PrefillAttentionRow[] = [];
  for (let r = 0; r < t.rows; r++) {
    if (kernels && !kernels.includes(t.get(r, 'kernel_source'))) continue;
    if (t.get(r, 'kv_cache_dtype') !== 'bfloat16') continue;
    out.push({
      batch: t.num(r, 'batch_size'),
      promptLen: t.num(r, 'prompt_len_tokens'),
      qHeads: t.num(r, 'num_q_heads'),
      kvHeads: t.num(r, 'num_kv_heads'),
      headDim: t.num(r, 'head_dim'),
      seconds: t.num(r, 'latency_ms_per_layer') / 1000,
    });
  }
  return out;
}

/** Frontier's H800 attention profile: decode rows of the kernel-only 405B measurement. */
export function readFrontierDecodeAttention(file: string): DecodeAttentionRow[] {
  const t = readTable(file);
  const out: DecodeAttentionRow[] = [];
  for (let r = 0; r < t.rows; r++) {
    if (t.get(r, 'is_prefill') !== 'False' || t.get(r, 'measurement_type') !== 'KERNEL_ONLY') continue;
    const tp = t.num(r, 'tp');
    out.push({
      batch: t.num(r, 'batch_size'),
      context: t.num(r, 'kv_cache_size_tokens') + 1,
      // Head counts are model totals; a rank holds 1/tp of them.
      qHeads: t.num(r, 'n_q_head_total') / tp,
      kvHeads: Math.max(1, t.num(r, 'n_kv_head_total') / tp),
      headDim: 128,
      kvBytes: 2,
      seconds: t.num(r, 'attn_decode_median_ms') / 1000,
    });
  }
  return out;
}

/** AIConfigurator comm table: all_reduce rows (NCCL and vLLM's custom all-reduce). */
export function readAicAllReduce(file: string): AllReduceRow[] {
  const t = readTable(file);
  const out: AllReduceRow[] = [];
  for (let r = 0; r < t.rows; r++) {
    if (t.get(r, 'op') !== 'all_reduce') continue;
    const dtype = t.get(r, 'dtype');
    if (dtype !== 'half' && dtype !== 'bfloat16') continue;
    out.push({
      kernel: t.get(r, 'kernel_source'),
      tp: t.num(r, 'num_gpus'),
      elements: t.num(r, 'message_size_elements'),
      seconds: t.num(r, 'latency_ms') / 1000,
    });
  }
  return out;
}

/** One BF16 GEMM of AIConfigurator's gemm table: (M x K) by (K x N). */
export interface GemmRow {
  m: number;
  n: number;
  k: number;
  seconds: number;
}

export function readAicGemm(file: string): GemmRow[] {
  const t = readTable(file);
  const out: GemmRow[] = [];
  for (let r = 0; r < t.rows; r++) {
    if (t.get(r, 'gemm_dtype') !== 'bfloat16') continue;
    out.push({ m: t.num(r, 'm_tokens'), n: t.num(r, 'n'), k: t.num(r, 'k'), seconds: t.num(r, 'latency_ms') / 1000 });
  }
  return out;
}
