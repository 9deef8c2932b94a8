import { FITTED_HOST_STEP, type HostStep } from '../hardware/host-step.js';
import { VLLM_DEFAULTS, type EngineConfig } from './engine-config.js';
import {
  SGLANG_DEFAULTS,
  SGLANG_PAGE_SIZE,
  sglangChunkedPrefillSize,
  sglangMemFractionStatic,
  type SglangSchedulePolicy,
} from './sglang-config.js';

/** A fleet entry's engine settings as written (camelCase flags of the engine named by `kind`). */
export interface EngineSettings {
  kind?: 'vllm' | 'sglang';
  maxNumSeqs?: number;
  maxNumBatchedTokens?: number;
  blockSize?: number;
  gpuMemoryUtilization?: number;
  enableChunkedPrefill?: boolean;
  enablePrefixCaching?: boolean;
  maxModelLen?: number;
  asyncScheduling?: boolean;
  flashinferSampler?: boolean;
  maxRunningRequests?: number;
  chunkedPrefillSize?: number;
  maxPrefillTokens?: number;
  schedulePolicy?: SglangSchedulePolicy;
  scheduleConservativeness?: number;
  enableMixedChunk?: boolean;
  disableRadixCache?: boolean;
  pageSize?: number;
  memFractionStatic?: number;
  /** Host time per step, ms (default: the fitted vLLM v0.15.1 figure, hardware/host-step.ts). */
  stepOverheadMs?: number;
  /** Host time per sequence in a step, microseconds (default 0). */
  stepOverheadPerSeqUs?: number;
}

/** Settings that only one engine reads, with the other engine's name for the same thing. */
export const VLLM_ONLY: Readonly<Record<string, string>> = {
  maxNumSeqs: 'maxRunningRequests',
  maxNumBatchedTokens: 'chunkedPrefillSize',
  blockSize: 'pageSize',
  gpuMemoryUtilization: 'memFractionStatic',
  enableChunkedPrefill: 'chunkedPrefillSize: -1',
  enablePrefixCaching: 'disableRadixCache',
  asyncScheduling: 'no setting (SGLang\'s overlap scheduler is not modelled)',
  flashinferSampler: 'no setting (SGLang samples with FlashInfer, no sort)',
};
export const SGLANG_ONLY: readonly string[] = [
  'maxRunningRequests',
  'chunkedPrefillSize',
  'maxPrefillTokens',
  'schedulePolicy',
  'scheduleConservativeness',
  'enableMixedChunk',
  'disableRadixCache',
  'pageSize',
  'memFractionStatic',
];

/**
 * The engine configuration of a fleet entry: vLLM's defaults under vLLM settings, or SGLang's
 * (which depend on the GPU's memory and the tensor parallelism) under `kind: sglang`.
 */
export function engineConfigFrom(settings: EngineSettings | 'vllm' | 'sglang' | undefined, gpuMemoryGB: number, tp: number): EngineConfig {
  const s: EngineSettings = typeof settings === 'string' ? { kind: settings } : (settings ?? {});
  const hostStep = hostStepFrom(s);
  if (s.kind !== 'sglang') {
    const { kind: _kind, stepOverheadMs: _base, stepOverheadPerSeqUs: _perSeq, ...vllm } = s;
    return { ...VLLM_DEFAULTS, ...vllm, hostStep };
  }
  const chunk = s.chunkedPrefillSize ?? sglangChunkedPrefillSize(gpuMemoryGB);
  const chunkedPrefillSize = chunk === -1 ? null : chunk;
  return {
    kind: 'sglang',
    // The shared fields carry SGLang's values: slots, the step's token budget (for the memory
    // model's activation reserve), page size and static memory fraction.
    maxNumSeqs: s.maxRunningRequests ?? 0,
    maxNumBatchedTokens: chunkedPrefillSize ?? s.maxPrefillTokens ?? SGLANG_DEFAULTS.maxPrefillTokens,
    blockSize: s.pageSize ?? SGLANG_PAGE_SIZE,
    gpuMemoryUtilization: s.memFractionStatic ?? sglangMemFractionStatic(tp),
    enableChunkedPrefill: chunkedPrefillSize !== null,
    enablePrefixCaching: !(s.disableRadixCache ?? SGLANG_DEFAULTS.disableRadixCache),
    maxModelLen: s.maxModelLen,
    hostStep,
    sglang: {
      maxRunningRequests: s.maxRunningRequests,
      chunkedPrefillSize,
      maxPrefillTokens: s.maxPrefillTokens ?? SGLANG_DEFAULTS.maxPrefillTokens,
      schedulePolicy: s.schedulePolicy ?? SGLANG_DEFAULTS.schedulePolicy,
      scheduleConservativeness: s.scheduleConservativeness ?? SGLANG_DEFAULTS.scheduleConservativeness,
      enableMixedChunk: s.enableMixedChunk ?? SGLANG_DEFAULTS.enableMixedChunk,
      disableRadixCache: s.disableRadixCache ?? SGLANG_DEFAULTS.disableRadixCache,
    },
  };
}

/** The settings' host time per step; either term left out keeps the fitted default. */
function hostStepFrom(s: EngineSettings): HostStep {
  if (s.stepOverheadMs === undefined && s.stepOverheadPerSeqUs === undefined) return FITTED_HOST_STEP;
  return {
    baseS: s.stepOverheadMs === undefined ? FITTED_HOST_STEP.baseS : s.stepOverheadMs * 1e-3,
    perSeqS: s.stepOverheadPerSeqUs === undefined ? FITTED_HOST_STEP.perSeqS : s.stepOverheadPerSeqUs * 1e-6,
  };
}
