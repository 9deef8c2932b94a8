import { join } from 'node:path';
import type { WorkloadDefinition } from '../definition.js';
import { AibrixTraceReader } from '../trace/aibrix.js';
import { quantileValues, summarize, type SampleStats } from './sample-stats.js';

/** AIBrix's own ShareGPT workloads (prompt and output lengths of sampled ShareGPT requests). */
export const SHAREGPT_AIBRIX_FILES = ['aibrix/workloads_sharegpt/8min_up_and_down.jsonl', 'aibrix/workloads_sharegpt/5s.jsonl'];

export interface DerivedShareGptAibrix {
  definition: WorkloadDefinition;
  sourceStats: { prompt: SampleStats; output: SampleStats };
}

/**
 * ShareGPT as AIBrix's benchmarks sample it: single prompts with their recorded response lengths
 * ("Prompt Length", "Output Length" of AIBrix workload files). Far shorter than the multi-turn
 * Sarathi variant; this is the chat half of AIBrix's heterogeneous-GPU experiment.
 */
export function deriveShareGptAibrix(dataDir: string, quantiles = 201): DerivedShareGptAibrix {
  const prompt: number[] = [];
  const output: number[] = [];
  for (const rel of SHAREGPT_AIBRIX_FILES) {
    const reader = new AibrixTraceReader(join(dataDir, rel));
    for (let r = reader.next(); r; r = reader.next()) {
      prompt.push(r.promptTokens);
      output.push(r.outputTokens);
    }
  }
  prompt.sort((a, b) => a - b);
  output.sort((a, b) => a - b);
  const definition: WorkloadDefinition = {
    name: 'sharegpt-aibrix',
    description:
      "ShareGPT chat as AIBrix's benchmark workloads sample it (single prompts, recorded response lengths); " +
      'the chat traffic of AIBrix heterogeneous-GPU experiments. Much shorter than the multi-turn sharegpt definition.',
    source: {
      data: `${SHAREGPT_AIBRIX_FILES.join(', ')} (${prompt.length} requests; fields "Prompt Length", "Output Length")`,
      repository: 'vllm-project/aibrix benchmarks/scenarios/autoscaling/workload/',
      commit: 'e3e10f9e4aebe9aac5e7d992fb87d2648e01628b',
      license: 'Apache-2.0 (token counts only; ShareGPT text not included)',
      tokenizer: 'as recorded by AIBrix (Llama-2 family)',
      derivation: `${quantiles} linear-interpolated quantiles of each field; sim workload derive`,
    },
    promptTokens: { quantiles: quantileValues(prompt, quantiles) },
    outputTokens: { quantiles: quantileValues(output, quantiles) },
  };
  return { definition, sourceStats: { prompt: summarize(prompt), output: summarize(output) } };
}
