/**
 * How the descriptive columns of a run table are read: free text (prompt_pool,
 * arrival_process, engine, on/off flags) and the architecture of the served model. Numbers that
 * are wrong set the row aside with the column and the problem (real-run.ts); free text that is not
 * understood gets the inference-perf / vLLM default and a note saying so, since a table of many
 * runs should not stop at one phrasing.
 */

/** Where a row sits, for messages: the file and "line N". */
export interface RowPlace {
  file: string;
  line: string;
}

export interface PromptPool {
  prefixes: number;
  questions: number;
  order: 'cyclic' | 'random';
}

/** inference-perf's default pool: 10 groups x 10 prompts, cycled in a fixed shuffled order. */
export const DEFAULT_POOL: PromptPool = { prefixes: 10, questions: 10, order: 'cyclic' };

/**
 * The prompt_pool column: "10 groups x 10 prompts, cycled ...", "10 system prefixes x 10
 * questions", "10x10", "10 × 10"; "random" (and not "cycled") draws prompts at random.
 */
export function readPromptPool(text: string | undefined, notes: string[]): PromptPool {
  const t = text?.trim() ?? '';
  if (t === '') return DEFAULT_POOL;
  const sizes = /(\d+)\s*(?:[a-z]+\s*){0,2}[x×]\s*(\d+)/i.exec(t);
  const random = /random/i.test(t) && (!/cycl/i.test(t) || /not\s+cycl/i.test(t));
  if (!sizes || Number(sizes[1]) < 1 || Number(sizes[2]) < 1) {
    notes.push(`prompt_pool "${t}" names no sizes: ${DEFAULT_POOL.prefixes} x ${DEFAULT_POOL.questions} assumed`);
    return { ...DEFAULT_POOL, order: random ? 'random' : 'cyclic' };
  }
  return { prefixes: Number(sizes[1]), questions: Number(sizes[2]), order: random ? 'random' : 'cyclic' };
}

export type RunArrival = 'conditioned-poisson' | 'poisson';

/**
 * The arrival_process column: inference-perf's "constant" (exponential gaps rescaled to the
 * stage) is conditioned Poisson, as is a table that does not say; a Poisson process
 * (benchmark_serving's --request-rate) when it says Poisson and nothing of rescaling. Anything
 * else is read as inference-perf's, with a note.
 */
export function readArrival(text: string | undefined, notes: string[]): RunArrival {
  const t = text?.trim() ?? '';
  if (t === '') return 'conditioned-poisson';
  const conditioned = /rescal|condition|exactly|inference-perf/i.test(t) && !/not\s+rescal/i.test(t);
  if (conditioned) return 'conditioned-poisson';
  if (/poisson|exponential/i.test(t)) return 'poisson';
  notes.push(`arrival_process "${t}" not understood: inference-perf's conditioned Poisson arrivals assumed`);
  return 'conditioned-poisson';
}

/** The engine column: SGLang or vLLM; another engine is timed as vLLM, with a note. */
export function readEngine(text: string | undefined, notes: string[]): 'vllm' | 'sglang' {
  const t = text?.trim() ?? '';
  if (/sglang/i.test(t)) return 'sglang';
  if (t !== '' && !/vllm/i.test(t)) notes.push(`engine "${t}" is not modelled: timed as vLLM`);
  return 'vllm';
}

/**
 * An on/off column (chunked_prefill, prefix_caching): on unless it starts with off, false, no,
 * n, f, none, disabled or 0, or is a --no-... flag (--no-enable-prefix-caching).
 */
export function readSwitch(text: string | undefined): boolean {
  return !/^\s*(-*no-|(off|false|no|n|f|none|disabled?|0)\b)/i.test(text ?? '');
}

/**
 * The cpu_offload column: off when empty or when it says false, no, off, none or 0; on for
 * anything else (true, yes, a --cpu-offload-gb size, the name of a KV offload connector).
 */
export function readOffload(text: string | undefined): boolean {
  const t = text?.trim() ?? '';
  return t !== '' && !/^(false|no|n|f|off|none|0+(\.0*)?)$/i.test(t);
}

/**
 * The architecture columns of a run table (layers, hidden, n_heads, n_kv_heads, ffn, vocab;
 * n_experts and experts_per_tok for MoE models; params_b, precision; head_dim and
 * tie_word_embeddings where the table has them): enough to time a model the catalog lacks
 * (run-architecture.ts).
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
  /**
   * How precisely the table gives it: half a unit of its last significant digit, relative
   * ("7" ±7%, "12.2000" ±0.4%): published counts are rounded, often to the model's name.
   */
  paramsPrecision?: number;
  /** From the head_dim and tie_word_embeddings columns; inferred when absent. */
  headDim?: number;
  tiedEmbeddings?: boolean;
  /** FP8 weights: the precision column says FP8, or (without one) the model id does. */
  fp8: boolean;
}

/** The numeric architecture cells of a row, as parsed (undefined where empty). */
export interface ArchitectureCells {
  layers?: number;
  hidden?: number;
  n_heads?: number;
  n_kv_heads?: number;
  ffn?: number;
  vocab?: number;
  n_experts?: number;
  experts_per_tok?: number;
  params_b?: number;
  head_dim?: number;
  tie_word_embeddings?: string;
  precision?: string;
}

export const ARCHITECTURE_COLUMNS = ['layers', 'hidden', 'n_heads', 'n_kv_heads', 'ffn', 'vocab'] as const;

/**
 * The row's architecture when it gives every required column; otherwise the required columns it
 * leaves empty (none at all: a table without architecture). n_experts of 0 or 1 (or empty) is a
 * dense model.
 */
export function readArchitecture(
  c: ArchitectureCells,
  paramsText: string | undefined,
  modelId: string,
): { architecture?: RunArchitecture; missing: string[]; invalid?: string } {
  const missing = ARCHITECTURE_COLUMNS.filter((k) => c[k] === undefined);
  if (missing.length > 0) return { missing: missing.length === ARCHITECTURE_COLUMNS.length ? [] : [...missing] };
  // The counts arrive checked (whole, at least 1; expert counts at least 0) by the row schema.
  // Inconsistent columns matter only for a model the catalog lacks: said then, not here.
  const heads = c.n_heads!;
  const kvHeads = c.n_kv_heads!;
  if (heads % kvHeads !== 0) return { missing: [], invalid: `n_kv_heads: ${kvHeads} does not divide n_heads ${heads}` };
  const moe = c.n_experts !== undefined && c.n_experts > 1;
  const experts = moe ? c.n_experts : undefined;
  const expertsPerToken = moe ? c.experts_per_tok : undefined;
  if (moe && (expertsPerToken === undefined || expertsPerToken < 1 || expertsPerToken > experts!)) {
    return { missing: [], invalid: `experts_per_tok: an MoE model (n_experts ${experts}) needs it, from 1 to ${experts}` };
  }
  const tied = c.tie_word_embeddings?.trim() ?? '';
  if (tied !== '' && !/^(true|false|1|0|yes|no)$/i.test(tied)) {
    return { missing: [], invalid: `tie_word_embeddings: expected true or false, got "${tied}"` };
  }
  const precision = c.precision?.trim() ?? '';
  return {
    missing: [],
    architecture: {
      layers: c.layers!,
      hidden: c.hidden!,
      heads,
      kvHeads,
      ffn: c.ffn!,
      vocab: c.vocab!,
      ...(moe && { experts, expertsPerToken }),
      ...(c.params_b !== undefined && c.params_b > 0 && { paramsB: c.params_b, paramsPrecision: relativePrecision(paramsText ?? String(c.params_b), c.params_b) }),
      ...(c.head_dim !== undefined && { headDim: c.head_dim }),
      ...(tied !== '' && { tiedEmbeddings: /^(true|1|yes)$/i.test(tied) }),
      fp8: precision !== '' ? /fp8/i.test(precision) : /fp8/i.test(modelId),
    },
  };
}

/** Half a unit of the last significant digit of a decimal text, relative to its value. */
function relativePrecision(text: string, value: number): number {
  const t = text.trim();
  const decimals = t.includes('.') ? t.replace(/0+$/, '').split('.')[1].length : 0;
  return (0.5 * 10 ** -decimals) / value;
}
