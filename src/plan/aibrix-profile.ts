import { serializeAibrixProfile, type AibrixProfile, type AibrixSlos } from '../routing/index.js';
import { fixedLengthPoisson, instanceSpecs, lookupHardware, simulateFleet } from './simulate.js';

/** Latency SLO kinds AIBrix's gen_profile filters on (seconds), and its throughput kinds. */
export type ProfileSloKind = 'e2e' | 'ttft' | 'tpot' | 'tpat';

export interface AibrixProfileOptions {
  gpu: string;
  model: string;
  tp?: number;
  /** Latency targets, seconds (e.g. {tpot: 0.05}). */
  slos: Partial<Record<ProfileSloKind, number>>;
  /** 0 (mean), 50, 90 or 99. */
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

/** Ratio of measured to offered rate a passing rate must reach (gen_profile TPUT_TOLERANCE). */
const TPUT_TOLERANCE = 0.9;

export function powersOfTwo(from: number, to: number): number[] {
  const out: number[] = [];
  for (let x = from; x <= to; x *= 2) out.push(x);
  return out;
}

interface PointMeasure {
  rate: number;
  tput: number;
  e2eMean: number;
  ttftMean: number;
  /** The SLO metrics at the profile's percentile (mean when percentile is 0). */
  at: Record<ProfileSloKind, number>;
}

/**
 * Builds an AIBrix GPU profile the way AIBrix's GPU optimizer does, with the simulator standing in
 * for the benchmarked pod: for every (input, output) on a power-of-two grid and every rate on a
 * power-of-two grid, send `requests` Poisson requests of those lengths to one instance; keep the
 * rates whose latency metrics meet every SLO at the percentile; pick the highest passing rate
 * whose measured throughput is at least 0.9 x the offered rate (else the lowest passing rate);
 * record its measured throughput and mean E2E (and TTFT). No passing rate: throughput 0 and the
 * mean E2E at the lowest rate.
 */
export function generateAibrixProfile(opts: AibrixProfileOptions): AibrixProfile {
  const { gpu, model } = lookupHardware(opts.gpu, opts.model);
  const instances = instanceSpecs(gpu, model, 1, { tp: opts.tp });
  const inputs = opts.inputs ?? powersOfTwo(4, 4096);
  const outputs = opts.outputs ?? powersOfTwo(4, 4096);
  const rates = opts.rates ?? powersOfTwo(1, 64);
  const requests = opts.requests ?? 100;
  const seed = opts.seed ?? 1;
  const total = inputs.length * outputs.length * rates.length;
  let done = 0;
  const tputs: number[][] = [];
  const e2e: number[][] = [];
  const ttft: number[][] = [];
  for (const out of outputs) {
    const tputRow: number[] = [];
    const e2eRow: number[] = [];
    const ttftRow: number[] = [];
    for (const inp of inputs) {
      const measures: PointMeasure[] = [];
      for (const rate of rates) {
        measures.push(measurePoint({ instances, inp, out, rate, requests, seed, percentile: opts.percentile }));
        opts.onPoint?.(++done, total);
      }
      const passing = measures.filter((m) =>
        (Object.entries(opts.slos) as [ProfileSloKind, number][]).every(([k, target]) => m.at[k] < target),
      );
      if (passing.length === 0) {
        tputRow.push(0);
        e2eRow.push(measures[0].e2eMean);
        ttftRow.push(measures[0].ttftMean);
        continue;
      }
      const sustained = passing.filter((m) => m.tput >= TPUT_TOLERANCE * m.rate);
      const chosen = sustained.length > 0 ? sustained[sustained.length - 1] : passing[0];
      tputRow.push(chosen.tput);
      e2eRow.push(chosen.e2eMean);
      ttftRow.push(chosen.ttftMean);
    }
    tputs.push(tputRow);
    e2e.push(e2eRow);
    ttft.push(ttftRow);
  }
  const slos: AibrixSlos = { percentile: opts.percentile, ...opts.slos };
  return {
    gpu: gpu.name,
    cost: opts.cost ?? gpu.costPerHour,
    tputs,
    indexes: [outputs, inputs],
    created: opts.created ?? 0,
    e2e,
    ...(opts.slos.ttft !== undefined ? { ttft } : {}),
    slos,
  };
}

function measurePoint(p: {
  instances: ReturnType<typeof instanceSpecs>;
  inp: number;
  out: number;
  rate: number;
  requests: number;
  seed: number;
  percentile: number;
}): PointMeasure {
  const stream = fixedLengthPoisson({ rate: p.rate, count: p.requests, promptTokens: p.inp, outputTokens: p.out, seed: p.seed });
  const s = simulateFleet({
    instances: p.instances,
    stream,
    classes: ['fixed'],
    slo: { targets: {}, perClass: {}, percentile: 99 },
    seed: p.seed,
  });
  const m = s.metrics;
  const key = p.percentile === 0 ? 'mean' : (`p${p.percentile}` as 'p50' | 'p90' | 'p99');
  const tpot = p.out > 1 ? m.tpot_ms[key] / 1000 : 0;
  return {
    rate: p.rate,
    tput: m.throughput_rps,
    e2eMean: m.e2e_ms.mean / 1000,
    ttftMean: m.ttft_ms.mean / 1000,
    at: {
      e2e: m.e2e_ms[key] / 1000,
      ttft: m.ttft_ms[key] / 1000,
      tpot,
      tpat: m.e2e_ms[key] / 1000 / (p.inp + p.out),
    },
  };
}

export { serializeAibrixProfile };
