import type { ModelCatalog } from '../hardware/index.js';
import type { RealRun } from './real-run.js';

/**
 * Tokens the real prompts carried beyond their nominal length (tokenizer round-trip drift and the
 * BOS token): measured mean prompt length − nominal over the three sim2real_trainval runs that
 * report it (591.6 − 566, 785.8 − 750, 575.5 − 547: 25.6, 35.8, 28.5 → 30).
 */
export const PROMPT_DRIFT_TOKENS = 30;

/** Catalog names to try for a Hugging Face model id, most specific first. */
export function modelCandidates(hfId: string): string[] {
  const base = hfId.split('/').pop()!;
  const out = [base];
  const strip = base
    .replace(/-FP8(-dynamic)?$/i, '')
    .replace(/-Instruct(-\d{4})?$/i, '')
    .replace(/-hf$/i, '')
    .replace(/-chat$/i, '');
  const fp8 = /FP8/i.test(base);
  // Llama-2-7b → Llama-2-7B; Llama-4-Scout-17B-16E → Llama-4-Scout
  const upper = strip.replace(/-(\d+(\.\d+)?)b\b/gi, (_, n) => `-${n}B`);
  for (const name of [upper, upper.replace(/-\d+B-\d+E$/, ''), strip]) {
    if (fp8) out.push(`${name}-FP8`);
    out.push(name);
  }
  // Mistral-Nemo-Instruct-2407 is the 12B Mistral-Nemo.
  if (/^Mistral-Nemo/i.test(strip)) out.push('Mistral-Nemo-12B');
  // Llama 3.1 70B has the shapes of Llama 3 70B.
  const m = /^Llama-3\.1-(\d+B)$/.exec(upper);
  if (m) out.push(`Llama-3-${m[1]}`);
  return [...new Set(out)];
}

/** The catalog name of a run's model, or undefined when the catalog has none of its spellings. */
export function catalogModel(hfId: string, catalog: ModelCatalog): string | undefined {
  for (const name of modelCandidates(hfId)) {
    if (catalog.has(name)) return catalog.get(name).name;
  }
  return undefined;
}

/** GPU names of the real-run tables, as the catalog spells them. */
const GPU_NAMES: Record<string, string> = { H100: 'H100-SXM', A100: 'A100-80GB', L40S: 'L40S' };

/** Class name of a real run's requests in the experiments. */
export const RUN_CLASS = 'client';

/**
 * The experiment that reproduces a real run: one vLLM server with the run's engine settings, its
 * stage schedule with inference-perf's conditioned arrivals, and its cyclic prompt pool. Only
 * configuration: what the run measured stays in the run table.
 */
export function runExperiment(run: RealRun, model: string): Record<string, unknown> {
  const stages = run.stages.map((s) => `${s.rate} req/s for ${s.duration} s`).join(', then ');
  return {
    name: `trainval-${run.id}`,
    description: `Real vLLM run ${run.id} (${run.model}, ${run.gpu} TP${run.tp}): ${stages}; 10 x 10 prompt pool, cyclic.`,
    seed: 1,
    model,
    fleet: [
      {
        gpu: GPU_NAMES[run.gpu] ?? run.gpu,
        tp: run.tp,
        engine: {
          maxNumSeqs: run.engine.maxNumSeqs,
          maxNumBatchedTokens: run.engine.maxNumBatchedTokens,
          maxModelLen: run.engine.maxModelLen,
          blockSize: run.engine.blockSize,
          gpuMemoryUtilization: run.engine.gpuMemoryUtilization,
          enableChunkedPrefill: true,
          enablePrefixCaching: true,
        },
      },
    ],
    workload: {
      stages: run.stages,
      arrival: 'conditioned-poisson',
      sources: [
        {
          class: RUN_CLASS,
          ratio: 1,
          pool: {
            prefixes: 10,
            questions: 10,
            prefixTokens: run.systemPromptTokens,
            questionTokens: run.questionTokens + PROMPT_DRIFT_TOKENS,
            outputTokens: run.outputTokens,
            order: 'cyclic',
          },
        },
      ],
    },
  };
}
