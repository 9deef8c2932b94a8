/**
 * Time of vLLM's top-p / top-k sampler pass. With top_p or top_k set (and no FlashInfer
 * sampler, opt-in through VLLM_USE_FLASHINFER_SAMPLER until vllm-project/vllm#40376), vLLM V1
 * sorts each row's full-vocabulary FP32 logits, masks the tail and scatters them back
 * (vllm-project/vllm@v0.15.1:vllm/v1/sample/ops/topk_topp_sampler.py, apply_top_k_top_p).
 * That is a memory-bound pass over rows x vocabulary elements every step.
 *
 * Seconds per logit, measured for the PyTorch path at 131,072-entry vocabularies:
 * vllm#40376 top-p, batch 64: 1.005 ms (0.120 ns per logit), batch 128: 2.272 ms (0.135 ns);
 * vllm#32558 top-k, batch 256: 3.812 ms (0.114 ns); at batch 512 and above it falls to
 * 0.09 ns (vllm#40376) or rises to 0.21 ns (vllm#32234, top-k and top-p together). The PRs do
 * not all name their GPU; 0.13 ns, the figure at the batch sizes serving runs reach (64-128),
 * is taken as an H100-class figure (3,350 GB/s) and scaled by memory bandwidth for other GPUs.
 */
import type { GpuSpec } from './types.js';

const SORT_SECONDS_PER_LOGIT_H100 = 0.215e-9;
const H100_BANDWIDTH_GBS = 3350;

/** Seconds per (row, vocabulary entry) of the sort-based sampler on this GPU. */
export function samplerSortSecondsPerLogit(gpu: GpuSpec): number {
  return SORT_SECONDS_PER_LOGIT_H100 * (H100_BANDWIDTH_GBS / gpu.memoryBandwidthGBs);
}
