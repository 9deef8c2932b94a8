import { describe, expect, it } from 'vitest';
import type { BatchShape, TimingModel } from '../../src/hardware/index.js';
import { genProfile, type BenchmarkRow } from '../../src/plan/aibrix-profile.js';
import { GapRecorder, weightedStats } from '../../src/plan/pooled-gaps.js';

const shape = (decodeSeqs: number, prefillTokens = 0): BatchShape => ({
  prefillTokens,
  prefillSeqs: prefillTokens > 0 ? 1 : 0,
  prefillAttentionPairs: 0,
  prefillContextTokens: 0,
  decodeSeqs,
  decodeContextTokens: 0,
});

describe('TPOT as AIBrix benchmark pools it', () => {
  it('pools every inter-token gap of every request, not per-request means', () => {
    // Hand-built timeline on one instance. A (4 tokens) and B (3 tokens) prefill together in step
    // 1 (first tokens: no gap). Step 2 (0.010 s) decodes A and B; step 3 (0.030 s, a prefill of C
    // joins) decodes A and B (B done); step 4 (0.010 s) decodes A (done) and C; step 5 (0.010 s)
    // decodes C (done, 3 tokens).
    // Gaps: A 0.010, 0.030, 0.010; B 0.010, 0.030; C 0.010, 0.010 -> 7 gaps.
    const durations = [0.05, 0.01, 0.03, 0.01, 0.01];
    const shapes = [shape(0, 200), shape(2), shape(2, 100), shape(2), shape(1)];
    let k = 0;
    const inner: TimingModel = { name: 'script', stepTime: () => durations[k++] };
    const rec = new GapRecorder(inner);
    for (const s of shapes) rec.stepTime(s);
    const g = rec.stats();
    expect(g.count).toBe(7);
    // Sorted gaps: 0.01 x5, 0.03 x2. numpy: mean 0.11/7; P50 at rank 3 = 0.01; P90 at rank
    // 5.4 -> 0.03; P99 at 5.94 -> 0.03.
    expect(g.mean).toBeCloseTo(0.11 / 7, 12);
    expect(g.p50).toBeCloseTo(0.01, 12);
    expect(g.p90).toBeCloseTo(0.03, 12);
    expect(g.p99).toBeCloseTo(0.03, 12);
    // The per-request rule (E2E - TTFT) / (out - 1) would give A 0.0167, B 0.02, C 0.01: P99 0.02.
  });

  it('interpolates between order statistics like numpy', () => {
    // Expanded: [1, 2, 2, 2, 10]; P50 at rank 2 -> 2; P90 at 3.6 -> 2 + 0.6 x 8 = 6.8.
    const s = weightedStats([10, 1, 2], [1, 1, 3]);
    expect(s.p50).toBe(2);
    expect(s.p90).toBeCloseTo(6.8, 12);
    expect(s.p99).toBeCloseTo(2 + 0.96 * 8, 12);
    expect(weightedStats([], [])).toEqual({ count: 0, mean: 0, p50: 0, p90: 0, p99: 0 });
  });
});

/** Five rows of one benchmark point; latencies in seconds. */
function point(inp: number, out: number, rate: number, tput: number, e2e: { mean: number; P99: number }, tpotP99 = 0.01): BenchmarkRow[] {
  const base = { input_tokens: inp, output_tokens: out, request_rate: rate };
  return [
    { ...base, metric: 'TPUT', mean: tput },
    { ...base, metric: 'TT', mean: tput * out },
    { ...base, metric: 'E2E', mean: e2e.mean, P50: e2e.mean, P90: e2e.P99, P99: e2e.P99 },
    { ...base, metric: 'TTFT', mean: 0.1, P50: 0.1, P90: 0.2, P99: 0.3 },
    { ...base, metric: 'TPOT', mean: tpotP99 / 2, P50: tpotP99 / 2, P90: tpotP99, P99: tpotP99 },
  ];
}

describe("gen_profile's TPAT cells", () => {
  // input 1000, output 24 (1024 tokens); TPAT P99 = E2E P99 / 1024, target 0.002 s -> E2E P99 < 2.048 s.
  const rows: BenchmarkRow[] = [
    ...point(1000, 24, 1, 1.0, { mean: 1.0, P99: 1.5 }), // passes, sustained
    ...point(1000, 24, 2, 1.95, { mean: 1.2, P99: 2.0 }), // passes, sustained (1.95 >= 1.8): chosen
    ...point(1000, 24, 4, 3.0, { mean: 1.4, P99: 2.04 }), // passes TPAT but 3.0 < 3.6: not sustained
    ...point(1000, 24, 8, 4.0, { mean: 3.0, P99: 6.0 }), // fails TPAT
    // input 3000, output 72 (3072): E2E P99 < 6.144 s passes.
    ...point(3000, 72, 1, 0.5, { mean: 7.0, P99: 9.0 }), // fails
    ...point(3000, 72, 2, 0.6, { mean: 8.0, P99: 12.0 }), // fails -> tputs 0, e2e = first row's mean 7.0
    ...point(1000, 72, 1, 0.95, { mean: 2.0, P99: 3.0 }), // (72, 1000): 3.0 / 1072 < 0.002... no: 0.0028 fails
    ...point(1000, 72, 2, 1.0, { mean: 2.2, P99: 2.1 }), // 2.1 / 1072 = 0.00196 passes, 1.0 < 1.8 -> lowest passing
    ...point(3000, 24, 1, 0.99, { mean: 4.0, P99: 5.0 }), // 5.0 / 3024 passes, sustained
  ];
  const profile = genProfile(rows, { deployment: 'l20-deploy', cost: 1.5, slos: { tpat: 0.002 }, percentile: 99, created: 7 });

  it('keeps the highest sustained rate among those meeting TPAT at the percentile', () => {
    expect(profile.indexes).toEqual([[24, 72], [1000, 3000]]);
    expect(profile.tputs).toEqual([
      [1.95, 0.99],
      [1.0, 0],
    ]);
    expect(profile.e2e).toEqual([
      [1.2, 4.0],
      [2.2, 7.0],
    ]);
    expect(profile.ttft).toBeUndefined();
    expect(profile).toMatchObject({ gpu: 'l20-deploy', cost: 1.5, created: 7, slos: { percentile: 99, tpat: 0.002 } });
  });

  it('TPOT profiles filter on the pooled-gap rows instead', () => {
    const p = genProfile(rows, { deployment: 'x', cost: 1, slos: { tpot: 0.005 }, percentile: 99, created: 0 });
    expect(p.tputs).toEqual([
      [0, 0],
      [0, 0],
    ]); // every TPOT P99 row is 0.01 >= 0.005
    expect(p.e2e![0][0]).toBe(1.0); // first E2E row of the cell
  });
});
