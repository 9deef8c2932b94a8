import { join } from 'node:path';
import { InputError } from '../../input-error.js';
import type { WorkloadDefinition } from '../definition.js';
import { BIRD_FILE, BIRD_HASH_BLOCK_TOKENS, BIRD_SCHEMA_TOKENS_LLAMA3 } from './bird.js';
import { numericColumn, readColumns } from './read-columns.js';
import { quantileValues, summarize, type SampleStats } from './sample-stats.js';

/**
 * AIBrix's BIRD workload generator (vllm-project/aibrix e2f58d89, on refs/pull/656/head only:
 * benchmarks/generator/bird_workload_generator.py and sample_request.py) reads prompts whose
 * user message carries the database's full schema and the question, and picks, for its `bird`
 * trace, prompts near 4096 tokens and SQL near 32 tokens, within +-50 % (`initial_err_perc`
 * 0.5, `context_tokens = [4096]`, `generated_tokens = [32]`); AIBrix's docs call the class
 * "long prompts (over 4K tokens) and short responses (32-64 tokens)".
 */
export const AIBRIX_BIRD_PROMPT_TARGET = 4096;
export const AIBRIX_BIRD_WINDOW = 0.5;
/** Output lengths of AIBrix's BIRD class (docs/source/features/heterogeneous-gpu.rst). */
export const AIBRIX_BIRD_OUTPUT = { min: 32, max: 64 } as const;

/** The CSV column with the full-schema prompt's tokens. */
export const BIRD_RICH_COLUMN = 'prompt_rich_tokens_llama3';

export interface DerivedBirdAibrix {
  definition: WorkloadDefinition;
  sourceStats: { prompt: SampleStats; output: SampleStats; selected: number; of: number };
}

/**
 * `bird-aibrix`: the Mini-Dev questions as AIBrix's generator would pick them. The full-schema
 * prompt is the CSV's `prompt_rich_tokens_llama3` (the Mini-Dev template with every table's DDL
 * annotated with column descriptions and value statistics, built from dev_tables.json's tables
 * and Arcwise's schema files: see bird_minidev/PROVENANCE.md); the DDL-only prompt of `bird` is
 * p50 ~790 tokens, far from AIBrix's "over 4K". Questions whose full-schema prompt lies in
 * 4096 +- 50 % are kept. A request is its database's full schema (shared prefix, rich prompt -
 * question suffix, one value per database) followed by the suffix of `bird`; group weights are
 * each database's share of the kept questions. Outputs: the kept questions' gold SQL tokens
 * within 32-64 (AIBrix's stated range).
 */
export function deriveBirdAibrix(dataDir: string, quantiles = 101): DerivedBirdAibrix {
  const file = join(dataDir, BIRD_FILE);
  const cols = ['db_id', 'prompt_tokens_llama3', BIRD_RICH_COLUMN, 'sql_tokens_llama3'];
  const [db, plainText, richText, sqlText] = readColumns(file, cols);
  const plain = numericColumn(plainText, cols[1], file);
  const rich = numericColumn(richText, cols[2], file);
  const sql = numericColumn(sqlText, cols[3], file);
  const lo = AIBRIX_BIRD_PROMPT_TARGET * (1 - AIBRIX_BIRD_WINDOW);
  const hi = AIBRIX_BIRD_PROMPT_TARGET * (1 + AIBRIX_BIRD_WINDOW);
  const schema = new Map<string, number>();
  const counts = new Map<string, number>();
  const suffix: number[] = [];
  const prompts: number[] = [];
  const outputs: number[] = [];
  db.forEach((name, i) => {
    const ddl = BIRD_SCHEMA_TOKENS_LLAMA3[name];
    if (ddl === undefined) throw new InputError(`unknown BIRD database "${name}"`, file, `line ${i + 2}`);
    const s = plain[i] - ddl; // question + evidence + template
    const full = rich[i] - s;
    const known = schema.get(name);
    if (known !== undefined && known !== full) {
      throw new InputError(`database "${name}" has two full-schema lengths (${known}, ${full})`, file, `line ${i + 2}`);
    }
    schema.set(name, full);
    if (rich[i] < lo || rich[i] > hi) return;
    counts.set(name, (counts.get(name) ?? 0) + 1);
    suffix.push(s);
    prompts.push(rich[i]);
    if (sql[i] >= AIBRIX_BIRD_OUTPUT.min && sql[i] <= AIBRIX_BIRD_OUTPUT.max) outputs.push(sql[i]);
  });
  const kept = prompts.length;
  const groups = [...counts.keys()].sort().map((name) => ({ name, tokens: schema.get(name)!, weight: counts.get(name)! / kept }));
  const definition: WorkloadDefinition = {
    name: 'bird-aibrix',
    description:
      "BIRD Mini-Dev as AIBrix's BIRD generator picks it: the database's full annotated schema (shared prefix) + question + " +
      'evidence + instructions, prompts within 4096 +- 50 % tokens; gold SQL of 32-64 tokens as output.',
    source: {
      data:
        `${BIRD_FILE} (${kept} of ${db.length} questions kept, ${groups.length} databases; columns db_id, prompt_tokens_llama3, ` +
        'prompt_rich_tokens_llama3, sql_tokens_llama3); DDL-only schema tokens per database from the reference',
      repository: 'bird-bench/mini_dev llm/data/ (token counts computed from its questions and schemas)',
      commit: 'f2f6603b763204df683dab0c70ea187182d14230',
      license: 'CC BY-SA 4.0',
      tokenizer: 'Llama-3',
      derivation:
        'keep questions with prompt_rich_tokens_llama3 in [2048, 6144] (AIBrix generator: 4096 +- 50 %); ' +
        'suffix = prompt_tokens_llama3 - DDL schema tokens; prefix = prompt_rich_tokens_llama3 - suffix (one value per database); ' +
        `output = sql_tokens_llama3 within [32, 64]; weight = share of kept questions; ${quantiles} linear-interpolated quantiles; sim workload derive`,
    },
    suffixTokens: { quantiles: quantileValues([...suffix].sort((a, b) => a - b), quantiles) },
    outputTokens: { quantiles: quantileValues([...outputs].sort((a, b) => a - b), quantiles) },
    prefixes: { hashBlockTokens: BIRD_HASH_BLOCK_TOKENS, groups },
  };
  return { definition, sourceStats: { prompt: summarize(prompts), output: summarize(outputs), selected: kept, of: db.length } };
}
