import { FITTED_HOST_STEP, type HostStep } from '../hardware/host-step.js';
import type { SglangConfig } from './sglang-config.js';

/**
 * Scheduler and memory settings of one inference engine, named after vLLM's flags. For an SGLang
 * engine (`kind: 'sglang'`) the shared fields carry SGLang's values (max_running_requests,
 * chunked_prefill_size, page_size, mem_fraction_static) and `sglang` holds the rest.
 */
export interface EngineConfig {
  /** Which scheduler runs the instance (default vLLM). */
  kind?: 'vllm' | 'sglang';
  /** SGLang's own knobs (kind 'sglang' only). */
  sglang?: SglangConfig;
  /** Most sequences in the running batch (vLLM `max_num_seqs`). */
  maxNumSeqs: number;
  /** Token budget of one step, prefill chunks plus decodes (vLLM `max_num_batched_tokens`). */
  maxNumBatchedTokens: number;
  /** Tokens per KV block (vLLM `block_size`). */
  blockSize: number;
  /** Fraction of GPU memory the engine may use for weights, activations and KV. */
  gpuMemoryUtilization: number;
  /** Split long prompts over several steps (vLLM `enable_chunked_prefill`). */
  enableChunkedPrefill: boolean;
  /** Reuse KV blocks of shared prompt prefixes (vLLM `enable_prefix_caching`). */
  enablePrefixCaching: boolean;
  /** Longest prompt + output accepted; undefined means the model's own limit. */
  maxModelLen?: number;
  /**
   * vLLM `--async-scheduling`: the batch of step k+1 is fixed when step k starts, so a request
   * arriving during step k first runs in step k+2 (default false: it runs in step k+1).
   */
  asyncScheduling?: boolean;
  /**
   * vLLM `VLLM_USE_FLASHINFER_SAMPLER=1`: top-p/top-k sampling without sorting the logits
   * (default false, as v0.15; the default from vllm-project/vllm#40376 on). docs/timing.md.
   */
  flashinferSampler?: boolean;
  /** Host time per step of this engine (version and host CPU), not of the GPU. */
  hostStep: HostStep;
}

/** vLLM V1 defaults for the OpenAI-compatible server. */
export const VLLM_DEFAULTS: Readonly<EngineConfig> = Object.freeze({
  maxNumSeqs: 256,
  maxNumBatchedTokens: 8192,
  blockSize: 16,
  gpuMemoryUtilization: 0.9,
  enableChunkedPrefill: true,
  enablePrefixCaching: true,
  hostStep: FITTED_HOST_STEP,
});
