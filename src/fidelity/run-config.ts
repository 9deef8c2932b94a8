import { kvCapacityTokens, type GpuCatalog, type ModelCatalog, type ModelSpec } from '../hardware/index.js';
import type { RealRun } from './real-run.js';

/**
 * Tokens the real prompts carried beyond their nominal length (tokenizer round-trip drift and the
 * BOS token), for a run that does not report its measured prompt length: measured mean prompt
 * length − nominal over the three sim2real_trainval runs that report it (591.6 − 566,
 * 785.8 − 750, 575.45 − 547: 25.6, 35.8, 28.45 → 30).
 */
export const PROMPT_DRIFT_TOKENS = 30;

/** Tokens a run's prompts carried beyond nominal: its own measured drift where it reports one. */
export function promptDrift(run: RealRun): number {
  if (run.measuredPromptMean === undefined) return PROMPT_DRIFT_TOKENS;
  return Math.max(0, Math.round(run.measuredPromptMean - run.systemPromptTokens - run.questionTokens));
}

/**
 * Suffixes and prefixes of Hugging Face ids that name a release, not an architecture: chat,
 * instruct and base tunes, dates (-2407, -0324), -hf conversions, -vX.Y releases, quantized
 * checkpoints' -FP8 / -FP8-dynamic, the "Meta-" of Meta-Llama-3.1-8B.
 */
const RELEASE_SUFFIX = /-(instruct|chat|base|hf|it|\d{4}|v\d+(\.\d+)*|fp8(-dynamic)?)$/i;

/**
 * Catalog names to try for a Hugging Face model id, most specific first. An FP8 checkpoint
 * (FP8 in its id) is only matched to an FP8 entry: its weights stream at one byte, and a
 * 16-bit entry would time it twice as slow.
 */
export function modelCandidates(hfId: string, fp8 = /FP8/i.test(hfId)): string[] {
  const base = hfId.split('/').pop()!;
  // Every form from the full name down, one release suffix at a time: "-V3" of DeepSeek-V3 is
  // a version the catalog keeps, "-v0.3" of Mistral-7B-Instruct-v0.3 one it drops.
  const forms = [base.replace(/^Meta-(?=Llama)/i, '')];
  for (let f = forms[0].replace(RELEASE_SUFFIX, ''); f !== forms[forms.length - 1]; f = f.replace(RELEASE_SUFFIX, '')) {
    forms.push(f);
  }
  const names: string[] = [];
  for (const form of forms) {
    // Llama-2-7b → Llama-2-7B; Llama-4-Scout-17B-16E → Llama-4-Scout
    const upper = form.replace(/-(\d+(\.\d+)?)b\b/gi, (_, n) => `-${n}B`);
    names.push(upper, upper.replace(/-\d+B-\d+E$/, ''), form);
    // Mistral-Nemo-Instruct-2407 is the 12B Mistral-Nemo.
    if (/^Mistral-Nemo/i.test(form)) names.push('Mistral-Nemo-12B');
    // Llama 3.1 70B has the shapes of Llama 3 70B.
    const m = /^Llama-3\.1-(\d+B)$/.exec(upper);
    if (m) names.push(`Llama-3-${m[1]}`);
  }
  const out = fp8 ? [base, ...names.map((n) => `${n}-FP8`)] : [base, ...names];
  return [...new Set(out)];
}

/**
 * The catalog name of a run's model, or undefined when the catalog has none of its spellings.
 * `fp8`: the run served FP8 weights (its precision column, else FP8 in the id).
 */
export function catalogModel(hfId: string, catalog: ModelCatalog, fp8 = /FP8/i.test(hfId)): string | undefined {
  for (const name of modelCandidates(hfId, fp8)) {
    if (!catalog.has(name)) continue;
    const spec = catalog.get(name);
    if (fp8 && spec.dtypeBytes !== 1) continue;
    return spec.name;
  }
  return undefined;
}

/**
 * The catalog GPU of a run. A table names the part, not its memory ("A100" is sold with 40 and
 * 80 GB). Where the catalog has the part in several memory sizes (names `<part>-<N>GB`) and the
 * run reports its KV blocks, a size other than the usual one is taken only when its simulated KV
 * capacity is within 15% of the blocks and the usual size's is not: capacity is within 3% of
 * vLLM's on the dense training runs, the sizes differ by 2x or more, and a model whose capacity
 * the simulator gets wrong (Llama-4-Scout: +64%) should not flip the part. The note says so.
 * The table's spelling resolves through the catalog's aliases (H100 is H100-SXM, A100 the 80 GB part).
 */
export function runGpu(run: RealRun, gpus: GpuCatalog, model: ModelSpec | undefined): { gpu: string; note?: string } {
  if (!gpus.has(run.gpu)) return { gpu: run.gpu };
  const usual = gpus.get(run.gpu).name;
  if (run.measuredKvBlocks === undefined || model === undefined) return { gpu: usual };
  // Other memory sizes of the same part: A100-80GB's siblings are A100-<N>GB.
  const part = usual.replace(/-\d+GB$/i, '');
  const size = new RegExp(`^${part.replace(/[^A-Za-z0-9]/g, (c) => `\\${c}`)}-\\d+GB$`, 'i');
  const sizes = gpus.names().filter((n) => n !== usual && size.test(n));
  const measured = run.measuredKvBlocks * run.engine.blockSize;
  const capacity = (name: string) =>
    kvCapacityTokens(gpus.get(name), model, run.tp, run.engine.gpuMemoryUtilization, run.engine.maxNumBatchedTokens);
  const off = (name: string) => Math.abs(Math.log(Math.max(1, capacity(name)) / measured));
  const within = Math.log(1 + SIZE_TOLERANCE);
  if (off(usual) <= within) return { gpu: usual };
  const match = sizes.filter((n) => off(n) <= within).sort((a, b) => off(a) - off(b))[0];
  if (match === undefined) return { gpu: usual };
  const tokens = (n: number) => Math.round(n).toLocaleString('en-US');
  return {
    gpu: match,
    note: `${run.gpu} read as ${match}: the ${tokens(measured)} KV tokens its engine reported fit ${match} (simulated ${tokens(capacity(match))}), not ${usual} (${tokens(capacity(usual))})`,
  };
}

/** How close a memory size's simulated KV capacity must be to the reported one to be chosen. */
const SIZE_TOLERANCE = 0.15;

/**
 * The engine flags of a run. An SGLang run's columns are read as SGLang's counterparts:
 * max_num_seqs as --max-running-requests, max_num_batched_tokens as --chunked-prefill-size,
 * gpu_memory_utilization as --mem-fraction-static, kv_block_size as --page-size, prefix caching
 * off as --disable-radix-cache.
 */
function engineSettings(run: RealRun): Record<string, unknown> {
  const e = run.engine;
  if (e.kind === 'sglang') {
    return {
      kind: 'sglang',
      maxRunningRequests: e.maxNumSeqs,
      chunkedPrefillSize: e.chunkedPrefill ? e.maxNumBatchedTokens : -1,
      memFractionStatic: e.gpuMemoryUtilization,
      pageSize: e.blockSize,
      maxModelLen: e.maxModelLen,
      ...(!e.prefixCaching && { disableRadixCache: true }),
    };
  }
  return {
    maxNumSeqs: e.maxNumSeqs,
    maxNumBatchedTokens: e.maxNumBatchedTokens,
    maxModelLen: e.maxModelLen,
    blockSize: e.blockSize,
    gpuMemoryUtilization: e.gpuMemoryUtilization,
    enableChunkedPrefill: e.chunkedPrefill,
    enablePrefixCaching: e.prefixCaching,
  };
}

/** Class name of a real run's requests in the experiments. */
export const RUN_CLASS = 'client';

/**
 * The experiment that reproduces a real run: one vLLM server with the run's engine settings, its
 * stage schedule with inference-perf's conditioned arrivals, and its cyclic prompt pool. Only
 * configuration: what the run measured stays in the run table.
 */
export function runExperiment(run: RealRun, model: string, gpu: string = run.gpu): Record<string, unknown> {
  const stages = run.stages.map((s) => `${s.rate} req/s for ${s.duration} s`).join(', then ');
  const sglang = run.engine.kind === 'sglang';
  return {
    name: `trainval-${run.id}`,
    description: `Real ${sglang ? 'SGLang' : 'vLLM'} run ${run.id} (${run.model}, ${run.gpu} TP${run.tp}): ${stages}; ${run.pool.prefixes} x ${run.pool.questions} prompt pool, ${run.pool.order}.`,
    seed: 1,
    model,
    fleet: [
      {
        gpu,
        // vLLM's DP engines are instances behind its API server; SGLang's are ranks of one (--dp-size).
        ...(run.dp > 1 && (sglang ? { dp: run.dp } : { count: run.dp })),
        tp: run.tp,
        engine: engineSettings(run),
      },
    ],
    // vLLM's API server sends each request to the DP engine with the least waiting x 4 + running
    // (vllm-project/vllm v1/engine/core_client.py, DPLBAsyncMPClient): least-request's in-flight
    // count is the same at the loads where nothing waits.
    ...(run.dp > 1 && !sglang && { router: { policy: 'least-request' } }),
    workload: {
      stages: run.stages,
      arrival: run.arrival,
      sources: [
        {
          class: RUN_CLASS,
          ratio: 1,
          pool: {
            prefixes: run.pool.prefixes,
            questions: run.pool.questions,
            prefixTokens: run.systemPromptTokens,
            questionTokens: run.questionTokens + promptDrift(run),
            outputTokens: run.outputTokens,
            order: run.pool.order,
          },
        },
      ],
    },
  };
}
