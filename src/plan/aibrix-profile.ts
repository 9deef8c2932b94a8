import { serializeAibrixProfile, type AibrixProfile, type AibrixSlos } from '../routing/index.js';
import { GapRecorder } from './pooled-gaps.js';
import { fixedLengthPoisson, instanceSpecs, lookupHardware, simulateFleet } from './simulate.js';

/**
 * AIBrix's profiling procedure (vllm-project/aibrix@e3e10f9e, python/aibrix/aibrix/gpu_optimizer/
 * optimizer/profiling/): `gpu_benchmark.py` measures every (input, output, rate) point and prints
 * one JSON row per metric; `gen_profile.py` turns the rows into a profile. Both steps are here,
 * the benchmark with the simulator standing in for the pod.
 */

/** SLO kinds of gen_profile.py (its flags --e2e, --ttft, --tpat, --tpot; --tput and --tt are throughput floors). */
export type ProfileSloKind = 'e2e' | 'ttft' | 'tpot' | 'tpat';
export const PROFILE_SLO_KINDS: readonly ProfileSloKind[] = ['e2e', 'ttft', 'tpot', 'tpat'];

/** One row of gpu_benchmark.py's output. TPUT and TT rows carry only `mean`. */
export interface BenchmarkRow {
  input_tokens: number;
  output_tokens: number;
  request_rate: number;
  metric: 'TPUT' | 'TT' | 'E2E' | 'TTFT' | 'TPOT' | 'TPAT';
  mean: number;
  P50?: number;
  P90?: number;
  P99?: number;
}

export interface GenProfileOptions {
  deployment: string;
  cost: number;
  slos: Partial<Record<ProfileSloKind, number>>;
  /** 0 (mean), 50, 90 or 99. */
  percentile: 0 | 50 | 90 | 99;
  created: number;
}

/** Ratio of measured to offered rate a chosen rate must reach (gen_profile TPUT_TOLERANCE). */
const TPUT_TOLERANCE = 0.9;
/** gen_profile's SLO order (it filters by each in turn and writes them in this order). */
const SLO_ORDER: readonly ProfileSloKind[] = ['e2e', 'ttft', 'tpat', 'tpot'];
const METRIC: Record<ProfileSloKind, BenchmarkRow['metric']> = { e2e: 'E2E', ttft: 'TTFT', tpat: 'TPAT', tpot: 'TPOT' };

/**
 * gen_profile.py `gen` on benchmark rows: adds TPAT = E2E / (input + output) at every statistic;
 * per (output, input) cell keeps the rates whose metric at the percentile is below every latency
 * target; of those the highest rate whose measured TPUT is at least 0.9 x the rate (else the
 * lowest passing rate) gives `tputs` = its TPUT and `e2e` (and `ttft` when a TTFT target is set)
 * = its means. A cell with no passing rate gets tputs 0 and the first E2E row's mean.
 */
export function genProfile(rows: readonly BenchmarkRow[], opts: GenProfileOptions): AibrixProfile {
  const all: BenchmarkRow[] = [...rows];
  for (const r of rows) {
    if (r.metric !== 'E2E') continue;
    const n = r.input_tokens + r.output_tokens;
    all.push({ ...r, metric: 'TPAT', mean: r.mean / n, P50: div(r.P50, n), P90: div(r.P90, n), P99: div(r.P99, n) });
  }
  const inputs = [...new Set(rows.map((r) => r.input_tokens))].sort((a, b) => a - b);
  const outputs = [...new Set(rows.map((r) => r.output_tokens))].sort((a, b) => a - b);
  const field = opts.percentile === 0 ? 'mean' : (`P${opts.percentile}` as const);
  const withTtft = opts.slos.ttft !== undefined;
  const tputs: number[][] = [];
  const e2e: number[][] = [];
  const ttft: number[][] = [];
  for (const out of outputs) {
    const tRow: number[] = [];
    const eRow: number[] = [];
    const fRow: number[] = [];
    for (const inp of inputs) {
      const cell = all.filter((r) => r.input_tokens === inp && r.output_tokens === out);
      let rates = new Set(cell.map((r) => r.request_rate));
      for (const kind of SLO_ORDER) {
        const target = opts.slos[kind] ?? Infinity;
        const ok = cell.filter((r) => rates.has(r.request_rate) && r.metric === METRIC[kind] && (r[field] ?? NaN) < target);
        rates = new Set(ok.map((r) => r.request_rate));
        if (rates.size === 0) break;
      }
      const mean = (metric: BenchmarkRow['metric'], rate?: number) =>
        cell.find((r) => r.metric === metric && (rate === undefined || r.request_rate === rate))?.mean ?? NaN;
      if (rates.size === 0) {
        tRow.push(0);
        eRow.push(mean('E2E'));
        fRow.push(withTtft ? mean('TTFT') : 0);
        continue;
      }
      let chosen = Math.min(...rates);
      const sustained = cell.filter((r) => r.metric === 'TPUT' && rates.has(r.request_rate) && r.mean >= r.request_rate * TPUT_TOLERANCE);
      if (sustained.length > 0) chosen = Math.max(...sustained.map((r) => r.request_rate));
      tRow.push(mean('TPUT', chosen));
      eRow.push(mean('E2E', chosen));
      fRow.push(withTtft ? mean('TTFT', chosen) : 0);
    }
    tputs.push(tRow);
    e2e.push(eRow);
    ttft.push(fRow);
  }
  const slos: AibrixSlos = { percentile: opts.percentile };
  for (const kind of SLO_ORDER) if (opts.slos[kind] !== undefined) slos[kind] = opts.slos[kind];
  return {
    gpu: opts.deployment,
    cost: opts.cost,
    tputs,
    indexes: [outputs, inputs],
    created: opts.created,
    e2e,
    ...(withTtft ? { ttft } : {}),
    slos,
  };
}

function div(x: number | undefined, n: number): number | undefined {
  return x === undefined ? undefined : x / n;
}

export interface AibrixProfileOptions {
  gpu: string;
  model: string;
  tp?: number;
  /** Deployment name written to the profile's `gpu` field (default: the GPU type). */
  deployment?: string;
  /** Latency targets, seconds (e.g. {tpat: 0.05}). */
  slos: Partial<Record<ProfileSloKind, number>>;
  percentile: 0 | 50 | 90 | 99;
  /** Power-of-two grids, as AIBrix's benchmark.sh (defaults 4..4096 tokens, 1..64 RPS). */
  inputs?: number[];
  outputs?: number[];
  rates?: number[];
  /** Requests per benchmark point (AIBrix: TOTAL=100). */
  requests?: number;
  cost?: number;
  seed?: number;
  /** Unix seconds for `created` (kept explicit so output is reproducible). */
  created?: number;
  onPoint?(done: number, total: number): void;
}

export function powersOfTwo(from: number, to: number): number[] {
  const out: number[] = [];
  for (let x = from; x <= to; x *= 2) out.push(x);
  return out;
}

/** Runs the benchmark grid in simulation: five rows (TPUT, TT, E2E, TTFT, TPOT) per point. */
export function benchmarkGrid(opts: AibrixProfileOptions): BenchmarkRow[] {
  const { gpu, model } = lookupHardware(opts.gpu, opts.model);
  const specs = instanceSpecs(gpu, model, 1, { tp: opts.tp });
  const recorder = new GapRecorder(specs[0].timing);
  const instances = [{ ...specs[0], timing: recorder }];
  const inputs = opts.inputs ?? powersOfTwo(4, 4096);
  const outputs = opts.outputs ?? powersOfTwo(4, 4096);
  const rates = opts.rates ?? powersOfTwo(1, 64);
  const requests = opts.requests ?? 100;
  const seed = opts.seed ?? 1;
  const total = inputs.length * outputs.length * rates.length;
  let done = 0;
  const rows: BenchmarkRow[] = [];
  for (const inp of inputs) {
    for (const out of outputs) {
      for (const rate of rates) {
        recorder.reset();
        const stream = fixedLengthPoisson({ rate, count: requests, promptTokens: inp, outputTokens: out, seed });
        const s = simulateFleet({ instances, stream, classes: ['fixed'], slo: { targets: {}, perClass: {}, percentile: 99 }, seed });
        const m = s.metrics;
        const base = { input_tokens: inp, output_tokens: out, request_rate: rate };
        const sec = (d: { mean: number; p50: number; p90: number; p99: number }) => ({
          mean: d.mean / 1000,
          P50: d.p50 / 1000,
          P90: d.p90 / 1000,
          P99: d.p99 / 1000,
        });
        const gaps = recorder.stats();
        rows.push(
          { ...base, metric: 'TPUT', mean: m.throughput_rps },
          { ...base, metric: 'TT', mean: m.output_tokens_per_s },
          { ...base, metric: 'E2E', ...sec(m.e2e_ms) },
          { ...base, metric: 'TTFT', ...sec(m.ttft_ms) },
          { ...base, metric: 'TPOT', mean: gaps.mean, P50: gaps.p50, P90: gaps.p90, P99: gaps.p99 },
        );
        opts.onPoint?.(++done, total);
      }
    }
  }
  return rows;
}

/** Benchmark grid in simulation, then gen_profile's selection. */
export function generateAibrixProfile(opts: AibrixProfileOptions): AibrixProfile {
  const { gpu } = lookupHardware(opts.gpu, opts.model);
  const rows = benchmarkGrid(opts);
  return genProfile(rows, {
    deployment: opts.deployment ?? gpu.name,
    cost: opts.cost ?? gpu.costPerHour * (opts.tp ?? 1),
    slos: opts.slos,
    percentile: opts.percentile,
    created: opts.created ?? 0,
  });
}

export { serializeAibrixProfile };
