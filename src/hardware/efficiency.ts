/** Roofline efficiency factors with every optional field filled in. */
import type { GpuSpec, RooflineEfficiency } from './types.js';

export type ResolvedEfficiency = Required<RooflineEfficiency>;

/**
 * Used for a GPU whose catalog entry has no `efficiency`: the A100/H100 fits rounded towards
 * caution (see docs/timing.md). The shipped catalog gives every GPU explicit factors.
 */
export const DATASHEET_DEFAULT_EFFICIENCY: ResolvedEfficiency = {
  mfu: 0.65,
  mbu: 0.75,
  elementwiseMbu: 0.45,
  layerOverheadS: 40e-6,
  gemmTileTokens: 64,
  stepOverheadS: 0.5e-3,
  stepOverheadPerSeqS: 0,
  source: 'datasheet default (no efficiency in catalog entry)',
};

export function resolveEfficiency(gpu: GpuSpec): ResolvedEfficiency {
  const e = gpu.efficiency;
  if (!e) return DATASHEET_DEFAULT_EFFICIENCY;
  return {
    mfu: e.mfu,
    mbu: e.mbu,
    stepOverheadS: e.stepOverheadS,
    stepOverheadPerSeqS: e.stepOverheadPerSeqS ?? 0,
    source: e.source,
    elementwiseMbu: e.elementwiseMbu ?? 0.6 * e.mbu,
    layerOverheadS: e.layerOverheadS ?? 0,
    gemmTileTokens: e.gemmTileTokens ?? 1,
  };
}

/** Peak dense FLOP/s for weights of `dtypeBytes` bytes: FP8 rate for 1-byte weights where the GPU has it. */
export function peakFlops(gpu: GpuSpec, dtypeBytes: number): number {
  const tflops = dtypeBytes === 1 && gpu.fp8Tflops !== undefined ? gpu.fp8Tflops : gpu.bf16Tflops;
  return tflops * 1e12;
}
