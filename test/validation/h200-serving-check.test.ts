import { describe, expect, it } from 'vitest';
import { median } from 'd3-array';
import { loadExperiment } from '../../src/experiment/load.js';
import { runPoint } from '../../src/experiment/run-point.js';

/**
 * The shipped H200 serving check (experiments/validation/h200-llama3.1-70b-fp8-inferencemax.yaml,
 * docs/timing.md) stays near what it was measured against: vLLM serving Llama-3.1-70B FP8 on H200,
 * InferenceMAX's grid, TTFT and TPOT from AIConfigurator's silicon sample
 * (ai-dynamo/aiconfigurator@095f58a5:aic-core/src/aiconfigurator_core/systems/silicon_sample.csv).
 * Rows: tp, ISL, OSL, concurrency, TTFT ms, TPOT ms.
 */
const MEASURED: [number, number, number, number, number, number][] = [
  [1, 1024, 1024, 4, 202.8, 21.47],
  [1, 1024, 1024, 8, 255.5, 22.56],
  [1, 1024, 1024, 16, 315.8, 24.72],
  [1, 1024, 1024, 32, 465.7, 33.19],
  [1, 1024, 1024, 64, 729.7, 37.44],
  [1, 1024, 8192, 4, 210.3, 22.05],
  [1, 1024, 8192, 8, 247.3, 24.10],
  [1, 1024, 8192, 16, 325.1, 27.29],
  [1, 1024, 8192, 32, 474.2, 37.82],
  [1, 1024, 8192, 64, 5322.9, 46.27],
  [1, 8192, 1024, 4, 1344.8, 26.14],
  [1, 8192, 1024, 8, 1660.2, 33.08],
  [1, 8192, 1024, 16, 2163.0, 47.48],
  [1, 8192, 1024, 32, 3132.1, 75.74],
  [1, 8192, 1024, 64, 39807.1, 107.15],
  [2, 1024, 1024, 4, 121.3, 13.91],
  [2, 1024, 1024, 8, 154.1, 14.36],
  [2, 1024, 1024, 16, 189.8, 15.65],
  [2, 1024, 1024, 32, 271.6, 20.35],
  [2, 1024, 1024, 64, 417.0, 22.71],
  [2, 1024, 8192, 4, 131.5, 14.20],
  [2, 1024, 8192, 8, 159.2, 14.83],
  [2, 1024, 8192, 16, 197.5, 17.18],
  [2, 1024, 8192, 32, 274.2, 23.16],
  [2, 1024, 8192, 64, 413.0, 26.84],
  [2, 8192, 1024, 4, 732.7, 16.32],
  [2, 8192, 1024, 8, 959.7, 19.67],
  [2, 8192, 1024, 16, 1248.9, 27.47],
  [2, 8192, 1024, 32, 1820.8, 46.07],
  [2, 8192, 1024, 64, 2963.9, 71.80],
  [4, 1024, 1024, 4, 90.6, 9.85],
  [4, 1024, 1024, 8, 101.1, 10.14],
  [4, 1024, 1024, 16, 126.2, 10.94],
  [4, 1024, 1024, 32, 179.1, 14.38],
  [4, 1024, 1024, 64, 264.5, 16.07],
  [4, 1024, 8192, 4, 89.6, 9.96],
  [4, 1024, 8192, 8, 111.3, 10.31],
  [4, 1024, 8192, 16, 135.8, 11.29],
  [4, 1024, 8192, 32, 178.0, 15.84],
  [4, 1024, 8192, 64, 256.8, 18.46],
  [4, 8192, 1024, 4, 468.6, 11.27],
  [4, 8192, 1024, 8, 613.3, 13.19],
  [4, 8192, 1024, 16, 775.2, 17.44],
  [4, 8192, 1024, 32, 1117.1, 28.62],
  [4, 8192, 1024, 64, 1817.5, 46.11],
  [8, 1024, 1024, 4, 73.0, 7.93],
  [8, 1024, 1024, 8, 86.3, 8.52],
  [8, 1024, 1024, 16, 109.3, 9.71],
  [8, 1024, 1024, 32, 136.8, 11.01],
  [8, 1024, 1024, 64, 194.9, 12.73],
  [8, 1024, 8192, 4, 75.6, 7.93],
  [8, 1024, 8192, 8, 87.4, 8.39],
  [8, 1024, 8192, 16, 101.4, 9.75],
  [8, 1024, 8192, 32, 133.5, 11.03],
  [8, 1024, 8192, 64, 180.4, 13.58],
  [8, 8192, 1024, 4, 303.2, 8.76],
  [8, 8192, 1024, 8, 394.9, 10.08],
  [8, 8192, 1024, 16, 479.5, 13.36],
  [8, 8192, 1024, 32, 694.6, 18.64],
  [8, 8192, 1024, 64, 1141.1, 29.17],
];

/** DeepSeek-R1 on SGLang 0.5.9, 8x H200 TP 8, same grid: ISL, OSL, concurrency, TTFT ms, TPOT ms. */
const MEASURED_DSR1: [number, number, number, number, number][] = [
  [1024, 1024, 4, 259.9, 10.29],
  [1024, 1024, 8, 244.9, 12.47],
  [1024, 1024, 16, 285.9, 16.63],
  [1024, 1024, 32, 337.5, 23.31],
  [1024, 1024, 64, 418.7, 32.99],
  [1024, 8192, 4, 259.4, 10.26],
  [1024, 8192, 8, 242.3, 12.20],
  [1024, 8192, 16, 264.9, 15.86],
  [1024, 8192, 32, 310.8, 22.10],
  [1024, 8192, 64, 420.1, 30.61],
  [8192, 1024, 4, 446.9, 11.27],
  [8192, 1024, 8, 502.6, 14.37],
  [8192, 1024, 16, 699.9, 20.41],
  [8192, 1024, 32, 993.7, 31.97],
  [8192, 1024, 64, 2278.8, 50.24],
];

describe('H200 serving check', () => {
  it('over the grid: median absolute error of TTFT and TPOT means within 12% and 13%, median signed error within 12% and 6%', async () => {
    const exp = loadExperiment('experiments/validation/h200-llama3.1-70b-fp8-inferencemax.yaml');
    expect(exp.points).toHaveLength(MEASURED.length);
    const ttft: number[] = [];
    const tpot: number[] = [];
    for (const point of exp.points) {
      const v = point.values;
      const [, isl, osl] = /random-(\d+)-(\d+)/.exec(v['workload.sources[0].dataset'] as string)!.map(Number);
      const row = MEASURED.find((m) => m[0] === v['fleet[0].tp'] && m[1] === isl && m[2] === osl && m[3] === v['workload.clients'])!;
      const r = await runPoint(exp, point);
      ttft.push(r.metrics.ttft_ms.mean / row[4] - 1);
      tpot.push(r.metrics.tpot_ms.mean / row[5] - 1);
    }
    // Today: absolute 8.5% and 10.2%, signed +7.4% and +2.3% (TPOT +17% at tp 1 to -13% at tp 8).
    expect(median(ttft.map(Math.abs))).toBeLessThan(0.12);
    expect(median(tpot.map(Math.abs))).toBeLessThan(0.13);
    expect(Math.abs(median(ttft)!)).toBeLessThan(0.12);
    expect(Math.abs(median(tpot)!)).toBeLessThan(0.06);
  });

  it('DeepSeek-R1 on the SGLang engine: TPOT mean within 10% (median over the grid), signed within 8%', async () => {
    const exp = loadExperiment('experiments/validation/h200-deepseek-r1-sglang-inferencemax.yaml');
    expect(exp.points).toHaveLength(MEASURED_DSR1.length);
    const tpot: number[] = [];
    for (const point of exp.points) {
      const v = point.values;
      const [, isl, osl] = /random-(\d+)-(\d+)/.exec(v['workload.sources[0].dataset'] as string)!.map(Number);
      const row = MEASURED_DSR1.find((m) => m[0] === isl && m[1] === osl && m[2] === v['workload.clients'])!;
      const r = await runPoint(exp, point);
      tpot.push(r.metrics.tpot_ms.mean / row[4] - 1);
    }
    // Today 6.0% (-4.6%); TTFT is not guarded: the model misses a ~190 ms constant (docs/timing.md).
    expect(median(tpot.map(Math.abs))).toBeLessThan(0.1);
    expect(Math.abs(median(tpot)!)).toBeLessThan(0.08);
  });
});
