import { describe, expect, it } from 'vitest';
import { TimelineCollector, timelineWindow } from '../../src/experiment/latency-timeline.js';
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
  it('rolls a p99 over windows sized from the run: TTFT and E2E per step, rejections per step, empty windows null', () => {
    const t = new TimelineCollector();
    // Last arrival at 120 s: ~100 steps → 1 s (the nearest of 1, 2, 5 × 10^k to 1.2 s), 121 steps.
    // 4 arrivals over 121 steps: a window would need 100 / (4/121) steps: capped at the whole run.
    t.onOutcome(ended(0.5, 0.6, 1.5)); // ttft 100 ms, e2e 1000 ms
    t.onOutcome(ended(1.0, 1.3, 2.0)); // ttft 300 ms, e2e 1000 ms
    t.onOutcome(ended(5.0));
    t.onOutcome(ended(120, 120.05, 121)); // ttft 50 ms
    const s = t.summarize();
    expect(s.step_s).toBe(1);
    expect(s.window_s).toBe(241);
    expect(s.ttft_p99_ms).toHaveLength(121);
    // Every window holds all three: p99 of [50, 100, 300] = 100 + 0.98 · 200 = 296.
    expect(s.ttft_p99_ms[0]).toBeCloseTo(296, 6);
    expect(s.ttft_p99_ms[60]).toBeCloseTo(296, 6);
    expect(s.rejected[5]).toBe(1);
    expect(s.rejected.reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('a window of one step when steps are full; empty steps are null', () => {
    const t = new TimelineCollector();
    // 20 000 requests over 100 s, all but 2..3 s: 200 a step (≥ 100), one-step windows.
    for (let i = 0; i < 20_000; i++) {
      const a = (i / 20_000) * 100;
      if (a >= 2 && a < 3) continue;
      t.onOutcome(ended(a, a + (a < 50 ? 0.1 : 0.2), a + 1));
    }
    const s = t.summarize();
    expect(s.step_s).toBe(1);
    expect(s.window_s).toBe(1);
    expect(s.ttft_p99_ms[2]).toBeNull();
    expect(s.ttft_p99_ms[10]).toBeCloseTo(100, 3);
    expect(s.ttft_p99_ms[80]).toBeCloseTo(200, 3);
  });

  it('keeps 50 to 200 values with enough requests per window for a 10-minute and a 10-hour run', () => {
    for (const [duration, requests] of [[600, 6_000], [600, 600], [36_000, 3_600_000], [36_000, 2_000]]) {
      const { step, span } = timelineWindow(duration, requests);
      const points = Math.floor(duration / step) + 1;
      expect(points).toBeGreaterThanOrEqual(50);
      expect(points).toBeLessThanOrEqual(200);
      expect(span % 2).toBe(1);
      // On average at least 100 arrivals a window (unless the window is the whole run).
      expect(Math.min((requests / points) * span, requests)).toBeGreaterThanOrEqual(Math.min(100, requests));
    }
    // 10 minutes at 10 req/s: 5 s steps of 50 arrivals, windows of 3 steps (150).
    expect(timelineWindow(600, 6_000)).toEqual({ step: 5, span: 3 });
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
