import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MetricsCollector,
  meetsSlo,
  percentile,
  summarize,
  type CompletedRequest,
  type InstanceInfo,
  type SloSpec,
} from '../../src/metrics/index.js';

/** numpy.percentile(..., method='linear'): h = (n-1)p, interpolate between floor(h) and ceil(h). */
function numpyPercentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const h = (s.length - 1) * (p / 100);
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return s[lo] + (h - lo) * (s[hi] - s[lo]);
}

function req(over: Partial<CompletedRequest> & Pick<CompletedRequest, 'arrival' | 'firstToken' | 'finished' | 'outputTokens'>): CompletedRequest {
  return {
    classIndex: 0,
    instanceIndex: 0,
    dispatched: over.arrival,
    enqueued: over.arrival,
    firstScheduled: over.arrival,
    promptTokens: 100,
    cachedTokens: 0,
    preemptions: 0,
    ...over,
  };
}

const inst = (id: string, gpuType: string, busyTime: number, preemptions = 0): InstanceInfo => ({
  id,
  gpuType,
  role: 'unified',
  busyTime,
  preemptions,
  promptTokensComputed: 0,
  tokensGenerated: 0,
});

/*
 * Five completions and two rejections, all times exact in binary. Targets: TTFT 0.5 s, TPOT 0.1 s;
 * class b overrides TTFT to 1.0 s (and inherits TPOT 0.1 s).
 *
 *   req class inst arrival firstSched firstTok finished out | ttft   tpot           e2e   met
 *   r0  a     0    1.0     1.125      1.25     2.25     9   | 0.25   1.0/8=0.125    1.25  no (tpot)
 *   r1  a     1    2.0     2.5        2.75     3.0      5   | 0.75   0.25/4=0.0625  1.0   no (ttft)
 *   r2  a     0    2.5     2.5        2.625    2.625    1   | 0.125  NaN            0.125 yes
 *   r3  b     1    3.0     3.25       3.875    4.0      3   | 0.875  0.125/2=0.0625 1.0   yes (b's TTFT 1.0)
 *   r4  b     0    3.5     4.0        5.0      6.0      5   | 1.5    1.0/4=0.25     2.5   no
 *   rejected: one of class a (arrived 0.5, first arrival of the run), one of class b.
 * r1 waited 0.125 s at the router (dispatched = enqueued = 2.125).
 */
function scenario(slo: Partial<SloSpec> = {}) {
  const spec: SloSpec = {
    targets: { ttft: 0.5, tpot: 0.1 },
    perClass: { b: { ttft: 1.0 } },
    percentile: 90,
    ...slo,
  };
  const c = new MetricsCollector(['a', 'b'], spec);
  const reqs: CompletedRequest[] = [
    req({ classIndex: 0, instanceIndex: 0, arrival: 1.0, firstScheduled: 1.125, firstToken: 1.25, finished: 2.25, outputTokens: 9, promptTokens: 100, cachedTokens: 50, preemptions: 1 }),
    req({ classIndex: 0, instanceIndex: 1, arrival: 2.0, dispatched: 2.125, enqueued: 2.125, firstScheduled: 2.5, firstToken: 2.75, finished: 3.0, outputTokens: 5, promptTokens: 100 }),
    req({ classIndex: 0, instanceIndex: 0, arrival: 2.5, firstScheduled: 2.5, firstToken: 2.625, finished: 2.625, outputTokens: 1, promptTokens: 100 }),
    req({ classIndex: 1, instanceIndex: 1, arrival: 3.0, firstScheduled: 3.25, firstToken: 3.875, finished: 4.0, outputTokens: 3, promptTokens: 100, cachedTokens: 30 }),
    req({ classIndex: 1, instanceIndex: 0, arrival: 3.5, firstScheduled: 4.0, firstToken: 5.0, finished: 6.0, outputTokens: 5, promptTokens: 100, preemptions: 2 }),
  ];
  c.noteArrival(0.5);
  c.recordRejection(0, 'prompt too long');
  for (const r of reqs) {
    c.noteArrival(r.arrival);
    c.recordCompletion(r);
  }
  c.noteArrival(3.75);
  c.recordRejection(1, 'prompt too long');
  const s = c.summarize([inst('i0', 'H100', 2.75, 3), inst('i1', 'A10', 11)]);
  return { c, s };
}

describe('MetricsCollector on constructed completions', () => {
  const { s } = scenario();
  const m = s.metrics;

  it('counts completions and rejections by reason', () => {
    expect(s.completed).toBe(5);
    expect(s.rejected).toBe(2);
    expect(s.rejections).toEqual({ 'prompt too long': 2 });
  });

  it('TTFT = first token - arrival, with numpy-style percentiles', () => {
    // sorted ttft: 0.125 0.25 0.75 0.875 1.5 (s)
    expect(m.ttft_ms.mean).toBeCloseTo(700, 9); // 3.5 / 5
    expect(m.ttft_ms.p50).toBeCloseTo(750, 9); // h = 2
    expect(m.ttft_ms.p90).toBeCloseTo(1250, 9); // h = 3.6: 0.875 + 0.6 x 0.625
    expect(m.ttft_ms.p95).toBeCloseTo(1375, 9); // h = 3.8
    expect(m.ttft_ms.p99).toBeCloseTo(1475, 9); // h = 3.96
  });

  it('TPOT = (E2E - TTFT) / (output - 1), a one-token output excluded', () => {
    // 0.125, 0.0625, (r2 excluded), 0.0625, 0.25 -> sorted 0.0625 0.0625 0.125 0.25
    expect(m.tpot_ms.mean).toBeCloseTo(125, 9);
    expect(m.tpot_ms.p50).toBeCloseTo(93.75, 9); // h = 1.5
    expect(m.tpot_ms.p90).toBeCloseTo(212.5, 9); // h = 2.7: 0.125 + 0.7 x 0.125
    expect(m.tpot_ms.p95).toBeCloseTo(231.25, 9); // h = 2.85
    expect(m.tpot_ms.p99).toBeCloseTo(246.25, 9); // h = 2.97
  });

  it('E2E = finished - arrival', () => {
    // sorted: 0.125 1 1 1.25 2.5
    expect(m.e2e_ms.mean).toBeCloseTo(1175, 9);
    expect(m.e2e_ms.p50).toBeCloseTo(1000, 9);
    expect(m.e2e_ms.p90).toBeCloseTo(2000, 9); // 1.25 + 0.6 x 1.25
    expect(m.e2e_ms.p95).toBeCloseTo(2250, 9);
    expect(m.e2e_ms.p99).toBeCloseTo(2450, 9);
  });

  it('queue times: router (dispatch - arrival), instance (first scheduled - enqueued), and their sum', () => {
    // router: 0 0.125 0 0 0; instance: 0.125 0.375 0 0.25 0.5; total: 0.125 0.5 0 0.25 0.5
    expect(m.router_queue_ms.mean).toBeCloseTo(25, 9);
    expect(m.router_queue_ms.p50).toBe(0);
    expect(m.instance_queue_ms.mean).toBeCloseTo(250, 9);
    expect(m.instance_queue_ms.p50).toBeCloseTo(250, 9);
    expect(m.queue_ms.mean).toBeCloseTo(275, 9);
    expect(m.queue_ms.p50).toBeCloseTo(250, 9);
    expect(m.queue_ms.p99).toBeCloseTo(500, 9);
  });

  it('throughput and output tokens/s over first arrival (0.5, a rejected request) to last completion (6.0)', () => {
    expect(s.duration_s).toBe(5.5);
    expect(m.throughput_rps).toBeCloseTo(5 / 5.5, 12);
    expect(m.output_tokens_per_s).toBeCloseTo((9 + 5 + 1 + 3 + 5) / 5.5, 12);
  });

  it('SLO attainment: share of all requests meeting every target, rejected counted as misses', () => {
    // met: r2, r3 of 7 requests
    expect(m.slo_attainment).toBeCloseTo(2 / 7, 12);
    expect(m.goodput_rps).toBeCloseTo(2 / 5.5, 12);
  });

  it('per class attainment uses the class overrides', () => {
    expect(s.classes.a.completed).toBe(3);
    expect(s.classes.a.rejected).toBe(1);
    expect(s.classes.a.slo_attainment).toBeCloseTo(1 / 4, 12); // r2 of r0 r1 r2 + 1 rejected
    expect(s.classes.b.completed).toBe(2);
    expect(s.classes.b.rejected).toBe(1);
    // r3 meets b's TTFT 1.0 (it would miss the default 0.5); r4 misses; 1 rejected
    expect(s.classes.b.slo_attainment).toBeCloseTo(1 / 3, 12);
    expect(s.classes.a.ttft_ms.mean).toBeCloseTo((250 + 750 + 125) / 3, 9);
    expect(s.classes.b.e2e_ms.p50).toBeCloseTo(1750, 9);
    expect(s.classes.a.tpot_ms.mean).toBeCloseTo((125 + 62.5) / 2, 9); // r2 (1 token) excluded
  });

  it('reports the run latencies at the SLO percentile against the targets', () => {
    expect(s.slo).not.toBeNull();
    expect(s.slo!.percentile).toBe(90);
    expect(s.slo!.targets_ms).toEqual({ ttft: 500, tpot: 100 });
    expect(s.slo!.at_percentile_ms.ttft).toBeCloseTo(1250, 9);
    expect(s.slo!.at_percentile_ms.tpot).toBeCloseTo(212.5, 9);
    expect(s.slo!.at_percentile_ms.e2e).toBeCloseTo(2000, 9);
    expect(s.slo!.met).toEqual({ ttft: false, tpot: false });
  });

  it('per instance: utilization = busy / window (capped at 1), served by class, preemptions', () => {
    expect(s.instances).toHaveLength(2);
    const [i0, i1] = s.instances;
    expect(i0).toMatchObject({ id: 'i0', gpu: 'H100', role: 'unified', served: 3, preemptions: 3 });
    expect(i0.served_by_class).toEqual({ a: 2, b: 1 });
    expect(i0.utilization).toBeCloseTo(2.75 / 5.5, 12);
    expect(i1).toMatchObject({ id: 'i1', gpu: 'A10', served: 2 });
    expect(i1.served_by_class).toEqual({ a: 1, b: 1 });
    expect(i1.utilization).toBe(1);
    expect(Object.keys(s.gpu_types)).toEqual(['A10', 'H100']);
    expect(s.gpu_types.H100.served_by_class).toEqual({ a: 2, b: 1 });
    expect(s.gpu_types.A10.served_by_class).toEqual({ a: 1, b: 1 });
    // A10 served r1 (ttft 0.75) and r3 (ttft 0.875)
    expect(s.gpu_types.A10.ttft_ms.mean).toBeCloseTo(812.5, 9);
  });

  it('sums preemptions and computes the prefix cache hit rate over prompt tokens', () => {
    expect(m.preemptions).toBe(3);
    expect(m.prefix_cache_hit_rate).toBeCloseTo(80 / 500, 12);
  });
});

describe('SLO targets, one at a time', () => {
  const cases: [string, SloSpec['targets'], number][] = [
    // met per request: r0 r1 r2 r3 r4 (rejected: 2 misses)
    ['ttft 0.8', { ttft: 0.8 }, 3], // r0 r1 r2
    ['tpot 0.1', { tpot: 0.1 }, 3], // r1 r2(NaN passes) r3
    ['e2e 1.0', { e2e: 1.0 }, 3], // r1 r2 r3
    ['e2e 1.25', { e2e: 1.25 }, 4], // inclusive bound: r0 too
    ['all three', { ttft: 0.8, tpot: 0.1, e2e: 1.0 }, 2], // r1 r2
  ];
  for (const [label, targets, met] of cases) {
    it(`${label}: ${met} of 7 met`, () => {
      const { s } = scenario({ targets, perClass: {} });
      expect(s.metrics.slo_attainment).toBeCloseTo(met / 7, 12);
      expect(s.metrics.goodput_rps).toBeCloseTo(met / 5.5, 12);
      // With one target, the per-target attainment is the same share.
      if (Object.keys(targets).length === 1 && targets.e2e !== undefined) expect(s.metrics.slo_attainment_e2e).toBeCloseTo(met / 7, 12);
    });
  }

  it('no targets: attainment and goodput are null, no SLO block', () => {
    const { s } = scenario({ targets: {}, perClass: {} });
    expect(s.metrics.slo_attainment).toBeNull();
    expect(s.metrics.goodput_rps).toBeNull();
    expect(s.slo).toBeNull();
    expect(s.classes.a.slo_attainment).toBeNull();
  });

  it('targets only for one class: the run attainment counts only the requests that have targets', () => {
    const { s } = scenario({ targets: {}, perClass: { b: { ttft: 1.0 } } });
    // a has no targets and is not judged; b: r3 met, r4 missed, its rejection missed
    expect(s.metrics.slo_attainment).toBeCloseTo(1 / 3, 12);
    expect(s.metrics.slo_attainment_ttft).toBeCloseTo(1 / 3, 12);
    expect(s.metrics.slo_attainment_tpot).toBeNull();
    expect(s.classes.a.slo_attainment).toBeNull();
    expect(s.classes.b.slo_attainment).toBeCloseTo(1 / 3, 12);
    expect(s.slo).toBeNull(); // no run-wide targets to compare percentiles with
  });

  it('meetsSlo: bounds are inclusive; NaN TPOT (one output token) passes; missing targets are not checked', () => {
    expect(meetsSlo({ ttft: 1 }, 1, 5, 9)).toBe(true);
    expect(meetsSlo({ ttft: 1 }, 1.0001, 0, 0)).toBe(false);
    expect(meetsSlo({ tpot: 0.05 }, 9, NaN, 9)).toBe(true);
    expect(meetsSlo({ tpot: 0.05 }, 0, 0.06, 0)).toBe(false);
    expect(meetsSlo({ e2e: 2 }, 0, 0, 2.5)).toBe(false);
    expect(meetsSlo({}, 100, 100, 100)).toBe(true);
  });
});

describe('edge cases', () => {
  it('only rejections: zero throughput, attainment 0, latencies NaN', () => {
    const c = new MetricsCollector(['a'], { targets: { ttft: 1 }, perClass: {}, percentile: 99 });
    c.noteArrival(1);
    c.recordRejection(0, 'x');
    const s = c.summarize([inst('i0', 'H100', 0)]);
    expect(s.completed).toBe(0);
    expect(s.rejected).toBe(1);
    expect(s.duration_s).toBe(0);
    expect(s.metrics.throughput_rps).toBe(0);
    expect(s.metrics.slo_attainment).toBe(0);
    expect(s.metrics.goodput_rps).toBe(0);
    expect(s.metrics.ttft_ms.p50).toBeNaN();
    expect(s.instances[0].utilization).toBe(0);
  });

  it('every output one token long: TPOT has no values', () => {
    const c = new MetricsCollector(['a'], { targets: {}, perClass: {}, percentile: 99 });
    c.noteArrival(0);
    c.recordCompletion(req({ arrival: 0, firstToken: 0.5, finished: 0.5, outputTokens: 1 }));
    c.recordCompletion(req({ arrival: 0, firstToken: 1, finished: 1, outputTokens: 1 }));
    const s = c.summarize([inst('i0', 'H100', 0.5)]);
    expect(s.metrics.tpot_ms.mean).toBeNaN();
    expect(s.metrics.tpot_ms.p99).toBeNaN();
    expect(s.metrics.ttft_ms.mean).toBeCloseTo(750, 9);
    expect(s.metrics.throughput_rps).toBe(2);
    expect(s.instances[0].utilization).toBe(0.5);
  });

  it('a single value is every percentile', () => {
    const d = summarize(Float64Array.of(3));
    expect(d).toEqual({ mean: 3, std: 0, median: 3, p50: 3, p90: 3, p95: 3, p99: 3 });
  });
});

describe('percentiles', () => {
  it('match numpy linear interpolation on hand-checked data', () => {
    const v = Float64Array.of(10, 1, 7, 3); // sorted 1 3 7 10
    expect(percentile(v, 0)).toBe(1);
    expect(percentile(v, 100)).toBe(10);
    expect(percentile(v, 50)).toBe(5); // h = 1.5
    expect(percentile(v, 25)).toBeCloseTo(2.5, 12); // h = 0.75
    expect(percentile(v, 90)).toBeCloseTo(9.1, 12); // h = 2.7: 7 + 0.7 x 3
  });

  it('match numpy linear interpolation on random data', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 60 }),
        fc.constantFrom(1, 25, 50, 90, 95, 99, 99.9),
        (xs, p) => {
          const got = percentile(Float64Array.from(xs), p);
          const want = numpyPercentile(xs, p);
          expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want)));
          const d = summarize(Float64Array.from(xs));
          expect(d.p50).toBeCloseTo(numpyPercentile(xs, 50), 6);
          expect(d.p99).toBeCloseTo(numpyPercentile(xs, 99), 6);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('do not reorder the caller array', () => {
    const v = Float64Array.of(3, 1, 2);
    percentile(v, 50);
    summarize(v);
    expect([...v]).toEqual([3, 1, 2]);
  });
});

describe('rejections by kind and latency per token', () => {
  it('counts rejections per kind and judges E2E / (prompt + output) against the tpat target', () => {
    const slo: SloSpec = { targets: { tpat: 0.01 }, perClass: {}, percentile: 99 };
    const c = new MetricsCollector(['chat'], slo);
    // 2 s over 100 + 100 tokens = 10 ms per token: meets; 3 s: 15 ms, misses.
    c.recordCompletion(req({ arrival: 0, firstToken: 0.5, finished: 2, outputTokens: 100 }));
    c.recordCompletion(req({ arrival: 0, firstToken: 0.5, finished: 3, outputTokens: 100 }));
    c.recordRejection(0, 'timed out after 60 s', 'timed-out');
    c.recordRejection(0, 'timed out after 60 s', 'timed-out');
    c.recordRejection(0, 'profile throughput 0', 'slo-infeasible');
    const s = c.summarize([inst('a', 'A10', 1)]);
    expect(s.rejections_by_kind).toEqual({ 'slo-infeasible': 1, 'timed-out': 2, 'never-dispatchable': 0, 'too-long': 0, other: 0 });
    expect(s.metrics.slo_attainment).toBeCloseTo(1 / 5, 12);
    expect(s.metrics.tpat_ms.p50).toBeCloseTo(12.5, 9);
    expect(s.slo?.targets_ms.tpat).toBe(10);
    expect(s.cdf.tpat_ms[0]).toBe(10);
  });
});
