/**
 * ITL as vLLM's benchmark_serving computes it: every request's inter-token gaps concatenated,
 * then numpy's mean, median, std and percentiles, checked on a hand-built token timeline.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GapPool, MetricsCollector, weightedDistribution, type CompletedRequest } from '../../src/metrics/index.js';

/** numpy.percentile(..., method='linear'). */
function numpyPercentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const h = (s.length - 1) * (p / 100);
  const lo = Math.floor(h);
  return s[lo] + (h - lo) * (s[Math.ceil(h)] - s[lo]);
}
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const std = (v: number[]) => Math.sqrt(mean(v.map((x) => (x - mean(v)) ** 2)));

function done(firstToken: number, finished: number, outputTokens: number): CompletedRequest {
  return { classIndex: 0, instanceIndex: 0, arrival: 0, dispatched: 0, enqueued: 0, firstScheduled: 0, firstToken, finished, promptTokens: 10, outputTokens, cachedTokens: 0, preemptions: 0 };
}

describe('inter-token latency', () => {
  // Token times of three requests on one server. Steps end at 1.1, 1.2, 1.35 and 1.5; C is
  // preempted after its token at 1.35 and its next token comes 1 s later, from a recompute.
  const tokens = {
    A: [1.0, 1.1, 1.2, 1.35],
    B: [1.1, 1.2, 1.35, 1.5],
    C: [1.2, 1.35, 2.35],
  };
  // What benchmark_serving collects: the gaps of each request, concatenated.
  const itls = Object.values(tokens).flatMap((t) => t.slice(1).map((x, i) => x - t[i]));

  it('pools the steps\' gaps and the gap a preemption hides, and matches numpy on the whole list', () => {
    const c = new MetricsCollector(['a'], { targets: {}, perClass: {}, percentile: 99 });
    // What the servers feed: each decode step's duration once per sequence it made a token for.
    c.itl.add(0.1, 1); // step to 1.1: A decodes (B's first token comes from its prefill)
    c.itl.add(0.1, 2); // to 1.2: A, B
    c.itl.add(0.15, 3); // to 1.35: A, B, C
    c.itl.add(0.15, 1); // to 1.5: B
    for (const t of Object.values(tokens)) c.recordCompletion(done(t[0], t[t.length - 1], t.length));
    const d = c.summarize([{ id: 'i', gpuType: 'G', role: 'unified', busyTime: 1, preemptions: 1, promptTokensComputed: 0, tokensGenerated: 0 }]).metrics.itl_ms;
    expect(itls).toHaveLength(8);
    expect(d.mean).toBeCloseTo(mean(itls) * 1000, 9);
    expect(d.median).toBeCloseTo(numpyPercentile(itls, 50) * 1000, 9);
    expect(d.median).toBeCloseTo(150, 9);
    expect(d.std).toBeCloseTo(std(itls) * 1000, 9);
    for (const p of [90, 95, 99] as const) expect(d[`p${p}`]).toBeCloseTo(numpyPercentile(itls, p) * 1000, 9);
    // The preemption's 1 s gap is in the tail, and the mean is not TPOT's mean of per-request means.
    expect(d.p99).toBeCloseTo(940.5, 6);
  });

  it('weighted runs give the statistics of the expanded list', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double({ min: 0, max: 10, noNaN: true }), fc.integer({ min: 1, max: 5 })), { minLength: 1, maxLength: 30 }), (runs) => {
        const pool = new GapPool();
        for (const [g, n] of runs) pool.add(g, n);
        const all = runs.flatMap(([g, n]) => Array(n).fill(g) as number[]);
        const d = pool.distribution();
        expect(d.mean).toBeCloseTo(mean(all), 6);
        expect(d.std).toBeCloseTo(std(all), 6);
        for (const p of [50, 90, 95, 99]) expect(d[p === 50 ? 'median' : (`p${p}` as 'p90')]).toBeCloseTo(numpyPercentile(all, p), 6);
      }),
    );
  });

  it('no gaps: not defined', () => {
    expect(weightedDistribution(new Float64Array(0), new Float64Array(0)).mean).toBeNaN();
  });
});
