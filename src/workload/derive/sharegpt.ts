import { join } from 'node:path';
import type { WorkloadDefinition } from '../definition.js';
import { numericColumn, readColumns } from './read-columns.js';
import { quantileValues, summarize, type SampleStats } from './sample-stats.js';

export const SHAREGPT_FILE = 'sharegpt_sarathi/sharegpt_8k_filtered_stats_llama2_tokenizer.csv';

export interface DerivedShareGpt {
  definition: WorkloadDefinition;
  sourceStats: { prompt: SampleStats; output: SampleStats };
}

/**
 * ShareGPT as Sarathi-Serve/Vidur processed it: per-request prompt (num_prefill_tokens, including
 * the conversation history of multi-turn chats) and response (num_decode_tokens) lengths, Llama-2
 * tokenizer, total ≤ 8k. Both become quantile tables.
 */
export function deriveShareGpt(dataDir: string, quantiles = 201): DerivedShareGpt {
  const file = join(dataDir, SHAREGPT_FILE);
  const [pre, dec] = readColumns(file, ['num_prefill_tokens', 'num_decode_tokens']);
  const prompt = numericColumn(pre, 'num_prefill_tokens', file).sort((a, b) => a - b);
  const output = numericColumn(dec, 'num_decode_tokens', file).sort((a, b) => a - b);
  const definition: WorkloadDefinition = {
    name: 'sharegpt',
    description:
      'ShareGPT chat, long multi-turn variant (prompt includes conversation history, Llama-2 tokens, ' +
      'prompt+output <= 8k). Much longer than vLLM benchmark_serving ShareGPT (first turn only, ' +
      '~220 in / ~190 out tokens).',
    source: {
      data: `${SHAREGPT_FILE} (${prompt.length} rows; columns num_prefill_tokens, num_decode_tokens)`,
      repository: 'microsoft/sarathi-serve data/processed_traces/',
      commit: '72339db5b120614033b317880ad3a05a5e4c9415',
      license: 'Apache-2.0 (token counts only; ShareGPT text not included)',
      tokenizer: 'Llama-2',
      derivation: `${quantiles} linear-interpolated quantiles of each column; sim workload derive`,
    },
    promptTokens: { quantiles: quantileValues(prompt, quantiles) },
    outputTokens: { quantiles: quantileValues(output, quantiles) },
  };
  return { definition, sourceStats: { prompt: summarize(prompt), output: summarize(output) } };
}
