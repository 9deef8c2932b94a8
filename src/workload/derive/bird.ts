import { join } from 'node:path';
import { InputError } from '../../input-error.js';
import type { WorkloadDefinition } from '../definition.js';
import { numericColumn, readColumns } from './read-columns.js';
import { quantileValues, summarize, type SampleStats } from './sample-stats.js';

export const BIRD_FILE = 'bird_minidev/bird_minidev_token_lengths.csv';

/**
 * Llama-3 tokens of each BIRD dev database's schema DDL, the prefix shared by all questions on
 * that database (reference: workloads-and-hardware.md §1.3, bird_minidev/PROVENANCE.md). The
 * CSV has only whole-prompt counts, so these are facts carried over, not derived here.
 */
export const BIRD_SCHEMA_TOKENS_LLAMA3: Readonly<Record<string, number>> = {
  california_schools: 944,
  card_games: 1048,
  codebase_community: 794,
  debit_card_specializing: 226,
  european_football_2: 2311,
  financial: 595,
  formula_1: 1098,
  student_club: 556,
  superhero: 459,
  thrombosis_prediction: 571,
  toxicology: 197,
};

/** vLLM's KV block size: the granularity at which a prefix cache can reuse the schema. */
export const BIRD_HASH_BLOCK_TOKENS = 16;

export interface DerivedBird {
  definition: WorkloadDefinition;
  sourceStats: {
    prompt: SampleStats;
    output: SampleStats;
    suffix: SampleStats;
    questionEvidence: SampleStats;
    /** Range of prompt − schema − question/evidence: the fixed template text. */
    templateTokens: { min: number; max: number };
  };
}

/**
 * BIRD Mini-Dev text-to-SQL (500 questions, 11 databases, Llama-3 tokens). A request is the
 * database schema (shared prefix) followed by a suffix: question + evidence + the template's
 * fixed instruction text (~93 tokens), so that prefix + suffix equals the source prompt length.
 * Output = gold SQL tokens. Suffix and output tables are global (30–66 questions per database are
 * too few for per-database tables); group weights are each database's share of the questions.
 */
export function deriveBird(dataDir: string, quantiles = 101): DerivedBird {
  const file = join(dataDir, BIRD_FILE);
  const cols = ['db_id', 'prompt_tokens_llama3', 'sql_tokens_llama3', 'question_evidence_tokens_llama3'];
  const [db, promptText, sqlText, qeText] = readColumns(file, cols);
  const prompt = numericColumn(promptText, cols[1], file);
  const sql = numericColumn(sqlText, cols[2], file);
  const qe = numericColumn(qeText, cols[3], file);
  const counts = new Map<string, number>();
  const suffix: number[] = [];
  let tmin = Infinity;
  let tmax = -Infinity;
  db.forEach((name, i) => {
    const schema = BIRD_SCHEMA_TOKENS_LLAMA3[name];
    if (schema === undefined) throw new InputError(`unknown BIRD database "${name}"`, file, `line ${i + 2}`);
    counts.set(name, (counts.get(name) ?? 0) + 1);
    suffix.push(prompt[i] - schema);
    const template = prompt[i] - schema - qe[i];
    tmin = Math.min(tmin, template);
    tmax = Math.max(tmax, template);
  });
  const sortedSuffix = [...suffix].sort((a, b) => a - b);
  const sortedSql = [...sql].sort((a, b) => a - b);
  const n = db.length;
  const groups = [...counts.keys()].sort().map((name) => ({
    name,
    tokens: BIRD_SCHEMA_TOKENS_LLAMA3[name],
    weight: counts.get(name)! / n,
  }));
  const definition: WorkloadDefinition = {
    name: 'bird',
    description:
      'BIRD Mini-Dev text-to-SQL: a per-database schema prefix shared by all its questions, then ' +
      'question + evidence + fixed instructions; gold SQL as output. Long prompts, short outputs.',
    source: {
      data:
        `${BIRD_FILE} (${n} questions, ${groups.length} databases; columns db_id, prompt_tokens_llama3, ` +
        'sql_tokens_llama3); schema tokens per database from the reference',
      repository: 'bird-bench/mini_dev llm/data/ (token counts computed from its questions and schemas)',
      commit: 'f2f6603b763204df683dab0c70ea187182d14230',
      license: 'CC BY-SA 4.0',
      tokenizer: 'Llama-3',
      derivation:
        `suffix = prompt_tokens_llama3 - schema tokens of its database; output = sql_tokens_llama3; ` +
        `weight = share of questions; ${quantiles} linear-interpolated quantiles; sim workload derive`,
    },
    suffixTokens: { quantiles: quantileValues(sortedSuffix, quantiles) },
    outputTokens: { quantiles: quantileValues(sortedSql, quantiles) },
    prefixes: { hashBlockTokens: BIRD_HASH_BLOCK_TOKENS, groups },
  };
  return {
    definition,
    sourceStats: {
      prompt: summarize(prompt),
      output: summarize(sql),
      suffix: summarize(suffix),
      questionEvidence: summarize(qe),
      templateTokens: { min: tmin, max: tmax },
    },
  };
}
