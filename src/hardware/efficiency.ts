/** Roofline efficiency factors with every optional field filled in. */
import type { AllReduceFit, AttentionEfficiency, GpuSpec, RooflineEfficiency } from './types.js';

export type ResolvedEfficiency = Required<Omit<RooflineEfficiency, 'allReduce'>> & {
  attention: Required<AttentionEfficiency>;
  allReduce?: AllReduceFit;
};

/** The factors of the non-attention layer time (what the Vidur calibration fits). */
export type LayerEfficiency = Pick<
  ResolvedEfficiency,
  'mfu' | 'mbu' | 'elementwiseMbu' | 'layerOverheadS' | 'gemmTileTokens' | 'source'
>;

/**
 * Attention constants for a GPU without measurements: the L40S fit of AIConfigurator's
 * FlashAttention-2 decode tables (the FA2 kernels vLLM runs on Ampere and Ada), except `mbu`,
 * which is the GPU's own weight-streaming mbu (docs/timing.md).
 */
export const DATASHEET_ATTENTION: Omit<Required<AttentionEfficiency>, 'mbu'> = {
  fixedS: 8.67e-6,
  perSeqS: 0,
  perSeqHeadS: 14.9e-9,
  padTokens: 0,
  prefillMfu: 0.436,
  source: 'datasheet default (L40S FlashAttention-2 fit, own mbu)',
};

/** vLLM replays CUDA graphs for steps of up to this many tokens (cudagraph capture sizes). */
export const CUDA_GRAPH_MAX_TOKENS = 512;

/**
 * A layer's fixed time under a CUDA graph, as a share of the eager one: AIConfigurator's
 * graph-captured GEMM floor (2.5 us at M=1 on H200) against Vidur's eager per-op floor for a
 * GEMM of the same size (4 us, attn_post_proj on H100 at TP 8), 0.6, times 7 of 9 kernels
 * left once vLLM fuses the residual add into RMSNorm.
 */
export const GRAPH_LAYER_OVERHEAD_SHARE = 0.5;

/**
 * Used for a GPU whose catalog entry has no `efficiency`: the A100/H100 fits rounded towards
 * caution (see docs/timing.md). The shipped catalog gives every GPU explicit factors.
 */
export const DATASHEET_DEFAULT_EFFICIENCY: RooflineEfficiency = {
  mfu: 0.65,
  mbu: 0.75,
  elementwiseMbu: 0.45,
  layerOverheadS: 40e-6,
  gemmTileTokens: 64,
  source: 'datasheet default (no efficiency in catalog entry)',
};

export function resolveEfficiency(gpu: GpuSpec): ResolvedEfficiency {
  const e = gpu.efficiency ?? DATASHEET_DEFAULT_EFFICIENCY;
  const layerOverheadS = e.layerOverheadS ?? 0;
  return {
    mfu: e.mfu,
    mbu: e.mbu,
    source: e.source,
    elementwiseMbu: e.elementwiseMbu ?? 0.6 * e.mbu,
    layerOverheadS,
    // A graph never costs more per layer than eager launches do (keeps step time monotone).
    graphLayerOverheadS: Math.min(layerOverheadS, e.graphLayerOverheadS ?? GRAPH_LAYER_OVERHEAD_SHARE * layerOverheadS),
    gemmTileTokens: e.gemmTileTokens ?? 1,
    attention: e.attention
      ? { source: 'catalog', ...e.attention }
      : { ...DATASHEET_ATTENTION, mbu: e.mbu },
    allReduce: e.allReduce ?? undefined,
  };
}

/**
 * FP8 GEMMs against the BF16 ones the layer factors were fitted on, from AIConfigurator's H200
 * tables (vLLM 0.24.0: CutlassFP8ScaledMMLinearKernel, dynamic per-token activation scales,
 * against torch linear; shapes with n, k >= 2048). Fitting t = fixed + weight bytes / bandwidth
 * to the m <= 32 rows (weight-streaming; 3510 shapes each, median error 6.1% FP8, 4.6% BF16)
 * gives FP8 6.31 us + bytes / 3626 GB/s and BF16 4.11 us + bytes / 4080 GB/s: 1-byte weights
 * stream at 0.89 of the BF16 rate, and each FP8 GEMM costs 2.2 us more (the activation
 * quantization). Compute-bound (m >= 2048, n x k >= 64M, 1701 shapes) the median BF16/FP8 time
 * ratio is 2 x 0.717: FP8 reaches 0.72 of the BF16 mfu at twice the peak.
 */
export const FP8_MBU_SHARE = 0.89;
export const FP8_MFU_SHARE = 0.72;
export const FP8_GEMM_EXTRA_S = 2.2e-6;

/** True when matmuls of `dtypeBytes`-byte weights run as FP8 GEMMs on this GPU. */
export function runsFp8Gemm(gpu: GpuSpec, dtypeBytes: number): boolean {
  return dtypeBytes === 1 && gpu.fp8Tflops !== undefined;
}

/** Peak dense FLOP/s for weights of `dtypeBytes` bytes: FP8 rate for 1-byte weights where the GPU has it. */
export function peakFlops(gpu: GpuSpec, dtypeBytes: number): number {
  const tflops = dtypeBytes === 1 && gpu.fp8Tflops !== undefined ? gpu.fp8Tflops : gpu.bf16Tflops;
  return tflops * 1e12;
}
