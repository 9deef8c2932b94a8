/**
 * SGLang server settings the scheduler reads, with SGLang's defaults. Read from sgl-project/sglang:
 * python/sglang/srt/server_args.py @469c63e54e7d94591617ef9590c6aa26d54dc1bb (max_prefill_tokens,
 * schedule_policy, schedule_conservativeness, enable_mixed_chunk, page_size; the GPU-memory rules
 * for chunked_prefill_size and the tp rule for mem_fraction_static are those of the 2025
 * releases, newer ones derive the fraction from reserved memory), managers/schedule_policy.py
 * @00550cd11b35def9d584bf761a1e32729c20a21d, managers/scheduler_components/new_token_ratio_tracker.py
 * @1a882c5c63cfeff4e20254078cbd89500d5b1fe9, managers/schedule_batch.py
 * @000eaffacf048e51b64d4d72985ef8f0b7054b39 and disaggregation/decode.py
 * @278e503a5e16252fb4ff513018b6a73e30976f63.
 */
export interface SglangConfig {
  /** `--max-running-requests`; undefined: SGLang's default from the KV pool size. */
  maxRunningRequests?: number;
  /** `--chunked-prefill-size`; null disables chunked prefill (SGLang's -1). */
  chunkedPrefillSize: number | null;
  /** `--max-prefill-tokens`: prefill tokens of one batch. */
  maxPrefillTokens: number;
  /** `--schedule-policy`. */
  schedulePolicy: SglangSchedulePolicy;
  /** `--schedule-conservativeness`: scales the initial new-token ratio. */
  scheduleConservativeness: number;
  /** `--enable-mixed-chunk`: decodes ride along in prefill batches. */
  enableMixedChunk: boolean;
  /** `--disable-radix-cache`. */
  disableRadixCache: boolean;
}

export type SglangSchedulePolicy = 'fcfs' | 'lpm' | 'dfs-weight';
export const SGLANG_SCHEDULE_POLICIES: readonly SglangSchedulePolicy[] = ['fcfs', 'lpm', 'dfs-weight'];

/** server_args.py: `max_prefill_tokens` 16384, `schedule_policy` fcfs, conservativeness 1.0, page size 1. */
export const SGLANG_DEFAULTS: Readonly<Omit<SglangConfig, 'chunkedPrefillSize'>> = Object.freeze({
  maxPrefillTokens: 16384,
  schedulePolicy: 'fcfs',
  scheduleConservativeness: 1.0,
  enableMixedChunk: false,
  disableRadixCache: false,
});
export const SGLANG_PAGE_SIZE = 1;

/** server_args.py: chunked_prefill_size by GPU memory (< 35 GB: 2048; < 160 GB: 8192; else 16384). */
export function sglangChunkedPrefillSize(gpuMemoryGB: number): number {
  if (gpuMemoryGB < 35) return 2048;
  if (gpuMemoryGB < 160) return 8192;
  return 16384;
}

/** server_args.py: mem_fraction_static by tensor parallelism (0.88 at tp 1 down to 0.79 at tp 16). */
export function sglangMemFractionStatic(tp: number): number {
  if (tp >= 16) return 0.79;
  if (tp >= 8) return 0.81;
  if (tp >= 4) return 0.85;
  if (tp >= 2) return 0.87;
  return 0.88;
}

/**
 * model_runner.py: the request pool (and so max_running_requests) is
 * min(max(max_total_num_tokens / context_len × 512, 2048), 4096).
 */
export function sglangDefaultMaxRunningRequests(kvTokens: number, contextLen: number): number {
  return Math.min(Math.max(Math.floor((kvTokens / contextLen) * 512), 2048), 4096);
}

/** Environment defaults: SGLANG_INIT_NEW_TOKEN_RATIO 0.7, SGLANG_MIN_NEW_TOKEN_RATIO_FACTOR 0.14, SGLANG_NEW_TOKEN_RATIO_DECAY_STEPS 600. */
export const INIT_NEW_TOKEN_RATIO = 0.7;
export const MIN_NEW_TOKEN_RATIO_FACTOR = 0.14;
export const NEW_TOKEN_RATIO_DECAY_STEPS = 600;
/** schedule_batch.py `global_config.retract_decode_steps`: decode steps a retraction plans room for. */
export const RETRACT_DECODE_STEPS = 20;
/** schedule_policy.py CLIP_MAX_NEW_TOKENS (SGLANG_CLIP_MAX_NEW_TOKENS_ESTIMATION). */
export const CLIP_MAX_NEW_TOKENS = 4096;
/** schedule_policy.py IN_BATCH_PREFIX_CACHING_CHECK_THRESHOLD / _DEPRIORITIZE_THRESHOLD, tokens. */
export const IN_BATCH_PREFIX_CHECK_THRESHOLD = 32;
export const IN_BATCH_PREFIX_DEPRIORITIZE_THRESHOLD = 32;
/** schedule_policy.py: LPM falls back to FCFS above this many waiting requests. */
export const LPM_MAX_QUEUE = 128;
/** disaggregation/decode.py SGLANG_NUM_RESERVED_DECODE_TOKENS: decode room kept per request when preallocating. */
export const NUM_RESERVED_DECODE_TOKENS = 512;
