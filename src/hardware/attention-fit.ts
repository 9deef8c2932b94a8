/**
 * Fits the attention constants (attention-cost.ts) to measured decode- and prefill-attention
 * kernel tables. Decode, in two stages that keep each constant tied to the data that shows it:
 * 1. short contexts (<= 128 tokens, where KV traffic is small): weighted least squares of the
 *    time left after reading the context's KV, against [1, sequences, sequences x KV heads,
 *    sequences x one-token KV read], gives the call, per-sequence and per-work-item costs and
 *    the partial-tile padding (head sizes vary in the tables, which tells the last two apart);
 * 2. large working sets (KV of the call >= 4x the GPU's L2, so it cannot be served from cache,
 *    as in a real step where every layer reads different KV): the median achieved share of
 *    peak bandwidth after removing stage 1's terms gives `mbu`.
 * The two stages are repeated until they agree. Kernel tables repeat one call, so mid-sized
 * working sets partly hit L2; those points are reported but do not steer the fit.
 * Prefill: least squares of time against [1, FLOPs / peak, tokens] gives prefillMfu.
 */
import { median as d3median, quantile as d3quantile } from 'd3-array';
import { attentionCost, decodeAttentionSeconds } from './attention-cost.js';
import type { DecodeAttentionRow, PrefillAttentionRow } from './kernel-tables.js';
import { leastSquares } from './least-squares.js';
import type { AttentionEfficiency, GpuSpec } from './types.js';

/** L2 cache of the GPU in bytes (profiles/gpus.yaml); a GPU without the figure is taken as Hopper's 50 MB. */
function l2Bytes(gpu: GpuSpec): number {
  return (gpu.l2CacheMB ?? 50) * 1e6;
}

export const SHORT_CONTEXT_TOKENS = 128;

export interface AttentionErrors {
  /** Median and p90 absolute error, percent, and point counts, per region. */
  short: { points: number; medianPct: number; p90Pct: number };
  large: { points: number; medianPct: number; p90Pct: number; signedMedianPct: number };
  /** Working sets between the two: partly served from L2 in the tables (signed median). */
  mid: { points: number; signedMedianPct: number };
}

export interface DecodeAttentionFit {
  fixedS: number;
  perSeqS: number;
  perSeqHeadS: number;
  padTokens: number;
  mbu: number;
  errors: AttentionErrors;
}

function kvBytesPerToken(r: DecodeAttentionRow): number {
  return r.kvHeads * r.headDim * 2 * r.kvBytes;
}

/**
 * `fixedMbu`: skip stage 2 and use this bandwidth share (for tables whose large working sets
 * are not physical, see docs/timing.md on the H800 table).
 */
export function fitDecodeAttention(rows: readonly DecodeAttentionRow[], gpu: GpuSpec, decodeMfu: number, fixedMbu?: number): DecodeAttentionFit {
  const bw = gpu.memoryBandwidthGBs * 1e9;
  const l2 = l2Bytes(gpu);
  const short = rows.filter((r) => r.context <= SHORT_CONTEXT_TOKENS);
  const large = rows.filter((r) => r.batch * r.context * kvBytesPerToken(r) >= 4 * l2);
  let mbu = fixedMbu ?? 0.9;
  let coef = [0, 0, 0, 0];
  for (let iter = 0; iter < 20; iter++) {
    coef = fitShort(short, bw, mbu);
    if (fixedMbu !== undefined) break;
    const shares = large.map((r) => {
      const rest = r.seconds - coef[0] - r.batch * (coef[1] + r.kvHeads * coef[2]);
      return (r.batch * (r.context + coef[3]) * kvBytesPerToken(r)) / (bw * Math.max(rest, 1e-9));
    });
    const next = Math.min(1, median(shares));
    if (Math.abs(next - mbu) < 1e-6) break;
    mbu = next;
  }
  const fit = { fixedS: coef[0], perSeqS: coef[1], perSeqHeadS: coef[2], padTokens: coef[3], mbu };
  return { ...fit, errors: decodeErrors(rows, gpu, { ...fit, prefillMfu: 1, source: '' }, decodeMfu) };
}

/** Stage 1, with any negative coefficient dropped (fixed at 0) and the rest refitted. */
function fitShort(rows: readonly DecodeAttentionRow[], bw: number, mbu: number): number[] {
  const features = (r: DecodeAttentionRow): number[] => [1, r.batch, r.batch * r.kvHeads, (r.batch * kvBytesPerToken(r)) / (bw * mbu)];
  let active = [0, 1, 2, 3];
  for (;;) {
    const a = rows.map((r) => active.map((i) => features(r)[i]));
    // What is left after reading the context's KV at the current mbu; relative error: each
    // point weighted by 1 / time^2.
    const rest = rows.map((r) => r.seconds - (r.batch * r.context * kvBytesPerToken(r)) / (bw * mbu));
    const x = leastSquares(a, rest, rows.map((r) => 1 / (r.seconds * r.seconds)));
    const negative = active.filter((_, j) => x[j] < 0);
    if (negative.length === 0) {
      const full = [0, 0, 0, 0];
      active.forEach((i, j) => (full[i] = x[j]));
      return full;
    }
    active = active.filter((i) => !negative.includes(i));
  }
}

export function decodeErrors(
  rows: readonly DecodeAttentionRow[],
  gpu: GpuSpec,
  a: Required<AttentionEfficiency>,
  decodeMfu: number,
): AttentionErrors {
  const l2 = l2Bytes(gpu);
  const err = (r: DecodeAttentionRow): number => {
    const c = attentionCost(
      { headsPerRank: r.qHeads, kvHeadsPerRank: r.kvHeads, prefillPairFlops: 4 * r.headDim, decodePairFlops: 4 * r.headDim, kvBytesPerToken: kvBytesPerToken(r) },
      gpu,
      a,
      decodeMfu,
    );
    return (decodeAttentionSeconds(c, r.batch, r.batch * r.context) / r.seconds - 1) * 100;
  };
  const shortE = rows.filter((r) => r.context <= SHORT_CONTEXT_TOKENS).map(err);
  const isLarge = (r: DecodeAttentionRow): boolean => r.batch * r.context * kvBytesPerToken(r) >= 4 * l2;
  const largeE = rows.filter(isLarge).map(err);
  const midE = rows.filter((r) => r.context > SHORT_CONTEXT_TOKENS && !isLarge(r)).map(err);
  const abs = (xs: number[]): number[] => xs.map(Math.abs);
  return {
    short: { points: shortE.length, medianPct: median(abs(shortE)), p90Pct: quantile(abs(shortE), 0.9) },
    large: { points: largeE.length, medianPct: median(abs(largeE)), p90Pct: quantile(abs(largeE), 0.9), signedMedianPct: median(largeE) },
    mid: { points: midE.length, signedMedianPct: median(midE) },
  };
}

export interface PrefillAttentionFit {
  prefillMfu: number;
  /** Median and p90 absolute error, percent, on calls of at least 1e11 FLOPs (compute-bound). */
  medianPct: number;
  p90Pct: number;
  points: number;
}

export function fitPrefillAttention(rows: readonly PrefillAttentionRow[], gpu: GpuSpec): PrefillAttentionFit {
  const peak = gpu.bf16Tflops * 1e12;
  const flops = (r: PrefillAttentionRow): number => 4 * ((r.batch * r.promptLen * (r.promptLen + 1)) / 2) * r.qHeads * r.headDim;
  const a = rows.map((r) => [1, flops(r) / peak, r.batch * r.promptLen]);
  const x = leastSquares(a, rows.map((r) => r.seconds), rows.map((r) => 1 / (r.seconds * r.seconds)));
  const prefillMfu = Math.min(1, 1 / x[1]);
  const big = rows.filter((r) => flops(r) >= 1e11);
  const errs = big.map((r) => Math.abs((x[0] + flops(r) / (peak * prefillMfu) + x[2] * r.batch * r.promptLen) / r.seconds - 1) * 100);
  return { prefillMfu, medianPct: median(errs), p90Pct: quantile(errs, 0.9), points: big.length };
}

const median = (xs: readonly number[]): number => d3median(xs) ?? NaN;
const quantile = (xs: readonly number[], q: number): number => d3quantile(xs, q) ?? NaN;
