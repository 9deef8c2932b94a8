import { describe, expect, it } from 'vitest';
import { TimelineCollector } from '../../src/experiment/latency-timeline.js';
import { blankOutcome, type RequestOutcome } from '../../src/metrics/index.js';
import { choosePlots } from '../../src/report/choose-plots.js';
import { fakeResult } from './fixtures.js';

/** A request arriving at `arrival`, its first token at `firstToken` and last at `finished` (rejected when absent). */
const ended = (arrival: number, firstToken?: number, finished?: number): RequestOutcome => ({
  ...blankOutcome(),
  arrival,
  ...(firstToken === undefined ? { rejection: { reason: 'timed out', kind: 'timed-out' as const } } : { firstToken, finished: finished! }),
});

describe('latency over time', () => {
  it('bins requests by arrival: p99 TTFT and E2E per window, rejections counted, empty windows null', () => {
    const t = new TimelineCollector();
    // 120 s of arrivals → 60 windows would be 2 s wide.
    t.onOutcome(ended(0.5, 0.6, 1.5)); // ttft 100 ms, e2e 1000 ms
    t.onOutcome(ended(1.0, 1.3, 2.0)); // ttft 300 ms, e2e 1000 ms
    t.onOutcome(ended(5.0));
    t.onOutcome(ended(120, 120.05, 121));
    const s = t.summarize();
    expect(s.window_s).toBe(2);
    expect(s.ttft_p99_ms).toHaveLength(61);
    // p99 of [100, 300] by linear interpolation: 100 + 0.99 · 200 = 298
    expect(s.ttft_p99_ms[0]).toBeCloseTo(298, 6);
    expect(s.e2e_p99_ms[0]).toBeCloseTo(1000, 6); // both took 1 s
    expect(s.ttft_p99_ms[1]).toBeNull();
    expect(s.rejected[2]).toBe(1);
    expect(s.ttft_p99_ms[60]).toBeCloseTo(50, 6);
  });

  it('draws one line per policy, never one across policies', () => {
    const rs = ['random', 'slo'].map((policy, i) => {
      const r = fakeResult({ id: policy, policy, point: { 'router.policy': policy } });
      r.timeline = { window_s: 10, ttft_p99_ms: [100 * (i + 1), null, 300], e2e_p99_ms: [1, null, 3], rejected: [0, 0, 0] };
      return r;
    });
    const plot = choosePlots(rs).find((p) => p.name === 'ttft-over-time')!;
    const rows = (plot.spec.data as { values: { series: string; t: number; value: number | null }[] }).values;
    expect(rows.map((r) => [r.series, r.t, r.value])).toEqual([
      ['random', 5, 100], ['random', 15, null], ['random', 25, 300],
      ['slo', 5, 200], ['slo', 15, null], ['slo', 25, 300],
    ]);
  });
});
