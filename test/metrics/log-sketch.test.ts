import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RELATIVE_ERROR, LogSketch } from '../../src/metrics/log-sketch.js';
import { MetricsCollector, type CompletedRequest, type InstanceInfo, type SloSpec } from '../../src/metrics/index.js';

/** numpy's linear percentile of the values. */
function exactQuantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  return s[lo] + (h - lo) * (s[Math.ceil(h)] - s[lo]);
}

const A = DEFAULT_RELATIVE_ERROR;
/** Relative error bound plus float rounding slack. */
const within = (got: number, want: number) => Math.abs(got - want) <= A * Math.abs(want) + 1e-12;

describe('LogSketch', () => {
  it('every quantile is within the stated relative error of the exact one, min and max exact', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1e-6, max: 1e5, noNaN: true }), { minLength: 1, maxLength: 400 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (values, q) => {
          const s = new LogSketch();
          for (const v of values) s.add(v);
          expect(within(s.quantile(q), exactQuantile(values, q))).toBe(true);
          expect(s.quantile(0)).toBe(Math.min(...values));
          expect(s.quantile(1)).toBe(Math.max(...values));
          expect(s.count).toBe(values.length);
        },
      ),
    );
  });

  it('handles zeros and negatives, skips NaN', () => {
    const s = new LogSketch();
    for (const v of [-4, -1, 0, 0, NaN, 2, 8]) s.add(v);
    expect(s.count).toBe(6);
    expect(s.sum).toBe(5);
    expect(within(s.valueAtRank(1), -1)).toBe(true);
    expect(s.valueAtRank(2)).toBe(0);
    expect(s.valueAtRank(3)).toBe(0);
    expect(within(s.valueAtRank(4), 2)).toBe(true);
  });

  it('is order-independent and merges to the sketch of the union', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 1e-3, max: 1e3, noNaN: true }), { minLength: 2, maxLength: 200 }), (values) => {
        const whole = new LogSketch();
        for (const v of values) whole.add(v);
        const rev = new LogSketch();
        for (const v of [...values].reverse()) rev.add(v);
        const a = new LogSketch();
        const b = new LogSketch();
        values.forEach((v, i) => (i % 2 ? a : b).add(v));
        a.merge(b);
        for (const q of [0, 0.1, 0.5, 0.9, 0.99, 1]) {
          expect(rev.quantile(q)).toBe(whole.quantile(q));
          expect(a.quantile(q)).toBe(whole.quantile(q));
        }
      }),
    );
  });
});

describe('MetricsCollector past its exact limit', () => {
  const slo: SloSpec = { targets: { ttft: 0.5 }, perClass: {}, percentile: 99 };
  const instances: InstanceInfo[] = ['i0', 'i1', 'i2'].map((id, k) => ({
    id,
    gpuType: k < 2 ? 'A' : 'B',
    role: 'unified',
    busyTime: 10,
    preemptions: 0,
    promptTokensComputed: 0,
    tokensGenerated: 0,
  }));
  function run(exactLimit: number) {
    const c = new MetricsCollector(['x', 'y'], slo, exactLimit);
    // A deterministic spread of latencies over three decades.
    for (let i = 0; i < 3000; i++) {
      const arrival = i * 0.01;
      const ttft = 0.01 * (1 + ((i * 7919) % 1000));
      const r: CompletedRequest = {
        classIndex: i % 2,
        instanceIndex: i % 3,
        arrival,
        dispatched: arrival + (i % 5) * 0.001,
        enqueued: arrival + (i % 5) * 0.001,
        firstScheduled: arrival + 0.002,
        firstToken: arrival + ttft,
        finished: arrival + ttft + 0.02 * (1 + (i % 50)),
        promptTokens: 100,
        outputTokens: 1 + (i % 50),
        cachedTokens: 0,
        preemptions: 0,
      };
      c.noteArrival(arrival);
      c.recordCompletion(r);
    }
    return { c, s: c.summarize(instances) };
  }

  it('counts stay exact and every percentile stays within the relative error of the exact summary', () => {
    const exact = run(1 << 20);
    const streamed = run(1000);
    expect(exact.c.exact).toBe(true);
    expect(streamed.c.exact).toBe(false);
    const e = exact.s;
    const s = streamed.s;
    expect(s.completed).toBe(e.completed);
    expect(s.metrics.slo_attainment).toBe(e.metrics.slo_attainment);
    expect(s.instances.map((x) => x.served_by_class)).toEqual(e.instances.map((x) => x.served_by_class));
    expect(s.classes.y.slo_attainment).toBe(e.classes.y.slo_attainment);
    const dists = (x: typeof e) => [
      x.metrics.ttft_ms,
      x.metrics.tpot_ms,
      x.metrics.e2e_ms,
      x.metrics.queue_ms,
      x.metrics.router_queue_ms,
      x.classes.x.ttft_ms,
      x.classes.y.e2e_ms,
      x.gpu_types.A.ttft_ms,
      x.gpu_types.B.tpot_ms,
    ];
    const de = dists(e);
    dists(s).forEach((d, k) => {
      for (const key of ['p50', 'p90', 'p95', 'p99'] as const) expect(within(d[key], de[k][key])).toBe(true);
      expect(d.mean).toBeCloseTo(de[k].mean, 9);
    });
    expect(within(s.slo!.at_percentile_ms.ttft, e.slo!.at_percentile_ms.ttft)).toBe(true);
    expect(s.cdf.ttft_ms[0]).toBe(e.cdf.ttft_ms[0]);
    expect(s.cdf.ttft_ms[100]).toBe(e.cdf.ttft_ms[100]);
  });
});
