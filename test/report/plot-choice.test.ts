import { describe, expect, it } from 'vitest';
import type { PointResult } from '../../src/experiment/run-point.js';
import { choosePlots, type Plot } from '../../src/report/choose-plots.js';
import { sweepDimensions } from '../../src/report/sweep-dimensions.js';
import { fakeResult } from './fixtures.js';

type Row = Record<string, unknown>;
const rowsOf = (p: Plot) => ((p.spec.data as { values: Row[] } | undefined)?.values ?? []) as Row[];

/**
 * No mark mixes configurations: within one panel and colour, each x place (rate, GPU, quantile)
 * holds one row, so a line joins one configuration's values and a bar is one value.
 */
function expectOneConfigurationPerMark(plot: Plot, x: string): void {
  const seen = new Set<string>();
  for (const r of rowsOf(plot)) {
    const key = JSON.stringify([r.column, r.row, r.series, r.point, r.panel, r.class, r.part, r.decode, r[x]]);
    expect(seen.has(key), `${plot.name}: two rows at ${key}`).toBe(false);
    seen.add(key);
  }
}

/** pd-ratio-sweep's shape: 1..n prefill × 1..n decode (H800 / H20) × rates, one policy with options. */
function pdRatioSweep(n = 6, rates = [20, 40, 60]): PointResult[] {
  const out: PointResult[] = [];
  for (let p = 1; p <= n; p++)
    for (let d = 1; d <= n; d++)
      for (const rate of rates) {
        const r = fakeResult({
          id: `${p}-${d}-${rate}`,
          point: { 'fleet[0].count': p, 'fleet[1].count': d, rate },
          policy: 'sglang-pd',
          fleet: [
            { gpu: 'H800', count: p, tp: 1, role: 'prefill', costPerHour: 2.5 },
            { gpu: 'H20', count: d, tp: 1, role: 'decode', costPerHour: 1.2 },
          ],
          attainment: Math.min(1, (p * d) / rate),
          // TPOT exists on decode instances only.
          gpuTpotP99: { H800: NaN, H20: 20 + rate / d },
        });
        r.summary.slo = { percentile: 99, targets_ms: { ttft: 1000, tpot: 50 }, at_percentile_ms: { ttft: 0, tpot: 0, e2e: 0, tpat: 0 }, met: {} };
        r.summary.pd = Object.fromEntries(
          ['prefill_queue_ms', 'prefill_compute_ms', 'kv_wait_ms', 'transfer_ms', 'decode_wait_ms'].map((k) => [k, { mean: 10, p50: 10, p90: 10, p95: 10, p99: 10 }]),
        ) as unknown as NonNullable<PointResult['summary']['pd']>;
        out.push(r);
      }
  return out;
}

describe('plots of a prefill/decode ratio sweep (36 fleets × 3 rates)', () => {
  const plots = choosePlots(pdRatioSweep());
  const byName = Object.fromEntries(plots.map((p) => [p.name, p]));

  it('draws the heatmap, attainment per fleet, CDFs in panels and the PD breakdown; no per-GPU TPOT (one decode GPU type)', () => {
    expect(plots.map((p) => p.name)).toEqual(['attainment-vs-rate', 'ttft-cdf', 'tpot-cdf', 'pd-breakdown', 'xpyd-heatmap', 'cost-vs-attainment']);
  });

  it('cost vs attainment: the rate is a colour or a panel, so fleets at different rates never share a mark\'s place', () => {
    const seen = new Set<string>();
    for (const r of rowsOf(byName['cost-vs-attainment'])) {
      const place = JSON.stringify([r.column, r.row, r.series, r.cost]);
      expect(seen.has(place), place).toBe(false);
      seen.add(place);
    }
    expect(seen.size).toBe(36 * 3);
  });

  it('never joins or stacks fleets: one row per fleet and rate in each line, one curve per fleet', () => {
    expectOneConfigurationPerMark(byName['attainment-vs-rate'], 'rate');
    expectOneConfigurationPerMark(byName['ttft-cdf'], 'share');
    expectOneConfigurationPerMark(byName['pd-breakdown'], 'part');
    expectOneConfigurationPerMark(byName['xpyd-heatmap'], 'prefill');
    // Lines: colour = prefill count, panels = decode count; 6 × 6 lines of 3 rates each.
    const lines = rowsOf(byName['attainment-vs-rate']);
    expect(new Set(lines.map((r) => `${r.series}|${r.column}`)).size).toBe(36);
    expect(new Set(lines.map((r) => r.series))).toEqual(new Set(['1×H800 prefill', '2×H800 prefill', '3×H800 prefill', '4×H800 prefill', '5×H800 prefill', '6×H800 prefill']));
    // 108 curves of 101 quantiles: each in its own (panel, colour).
    expect(rowsOf(byName['ttft-cdf'])).toHaveLength(108 * 101);
  });

  it('draws the SLO targets as rules on the CDFs', () => {
    const rule = (p: Plot) => JSON.stringify(p.spec).match(/"target":(\d+)/)?.[1];
    expect(rule(byName['ttft-cdf'])).toBe('1000');
    expect(rule(byName['tpot-cdf'])).toBe('50');
  });
});

describe('plots of a policy comparison with options (aibrix-heterogeneous shape)', () => {
  const zip: [string, Record<string, unknown>][] = [
    ['random', {}],
    ['least-request', {}],
    ['class-to-gpu', { map: { sharegpt: 'A10', bird: 'L20' } }],
    ['class-to-gpu', { map: { sharegpt: 'L20', bird: 'L20' } }],
    ['slo', {}],
  ];
  const rs = zip.map(([policy, options], i) => {
    const r = fakeResult({
      id: `p${i}`,
      point: { 'router.policy': policy, 'router.options': options },
      policy,
      fleet: [
        { gpu: 'A10', count: 1, tp: 1, role: 'unified', costPerHour: 1 },
        { gpu: 'L20', count: 4, tp: 1, role: 'unified', costPerHour: 1 },
      ],
      ttft: [5, 5000 * (i + 1)],
    });
    if (policy === 'slo') r.rejected = 300;
    return r;
  });

  it('short legend labels from the swept values: no raw options={}', () => {
    expect(sweepDimensions(rs).points.map((p) => p.label)).toEqual([
      'random',
      'least-request',
      'class-to-gpu sharegpt:A10 bird:L20',
      'class-to-gpu sharegpt:L20 bird:L20',
      'slo',
    ]);
    for (const p of choosePlots(rs)) expect(JSON.stringify(p.spec), p.name).not.toMatch(/options=|\{\}/);
  });

  it('top-level options show by value alone (pd-h800-h20 shape)', () => {
    const pd = [{}, { prefill: 'power_of_two', decode: 'power_of_two' }, { source: 'profile' }].map((options, i) =>
      fakeResult({ id: `q${i}`, point: { 'router.policy': 'sglang-pd', 'router.options': options }, policy: 'sglang-pd', ttft: [5, 10] }),
    );
    expect(sweepDimensions(pd).points.map((p) => p.label)).toEqual(['(default)', 'power_of_two/power_of_two', 'profile']);
  });

  it('shows rejected requests beside the per-GPU tail latency; a log axis for a metric spanning decades', () => {
    const plots = choosePlots(rs);
    expect(plots.map((p) => p.name)).toEqual(['attainment', 'ttft-cdf', 'tpot-cdf', 'tpot-p99-per-gpu', 'served-per-gpu']);
    const served = rowsOf(plots.find((p) => p.name === 'served-per-gpu')!);
    expect(served.filter((r) => r.part === 'rejected')).toEqual([{ point: 'slo', part: 'rejected', order: 2, value: 300, total: 1300, hover: 'slo: rejected, 300 requests' }]);
    expect(JSON.stringify(plots.find((p) => p.name === 'ttft-cdf')!.spec)).toContain('"type":"log"');
    for (const p of plots) expectOneConfigurationPerMark(p, p.name.endsWith('cdf') ? 'share' : 'gpu');
  });
});

describe('replicates in plots', () => {
  it('seeds of one configuration are one point with a 95% interval', () => {
    const rs = [4, 8].flatMap((rate) =>
      [0.8, 0.9, 0.85].map((a, i) => {
        const r = fakeResult({ id: `${rate}-${i}`, point: { rate, seed: i + 1 }, attainment: a });
        r.seed = i + 1;
        return r;
      }),
    );
    const plot = choosePlots(rs).find((p) => p.name === 'attainment-vs-rate')!;
    const rows = rowsOf(plot);
    expect(rows).toHaveLength(2);
    // mean 85%, half width t(2) · s/√3 = 4.303 · 5/√3 = 12.42
    expect(rows[0]).toMatchObject({ rate: 4, value: 85 });
    expect(rows[0].hi as number).toBeCloseTo(85 + 12.421, 2);
    expect(JSON.stringify(plot.spec)).toContain('errorbar');
  });

  it('an interval reaching below zero keeps the per-GPU tail latency on a linear axis (a log one cannot draw it)', () => {
    const fleet = [
      { gpu: 'H100-SXM', count: 1, tp: 1, role: 'unified' as const, costPerHour: 3.78 },
      { gpu: 'A10', count: 2, tp: 1, role: 'unified' as const, costPerHour: 0.86 },
    ];
    // A10 P99 TPOT over two seeds: 5 and 400 ms, mean 202.5, half width t(1) 12.71 x 279 = 3549: below 0.
    const seeds = (a10: [number, number]) =>
      a10.map((v, i) => {
        const r = fakeResult({ id: `s${i}`, point: { seed: i + 1 }, fleet, gpuTpotP99: { 'H100-SXM': 2, A10: v } });
        r.seed = i + 1;
        return r;
      });
    const wide = choosePlots(seeds([5, 400])).find((p) => p.name === 'tpot-p99-per-gpu')!;
    expect(rowsOf(wide).some((r) => (r.lo as number) < 0)).toBe(true);
    expect(JSON.stringify(wide.spec)).not.toContain('"type":"log"');
    // The same spread with a tight interval still gets the log axis.
    const tight = choosePlots(seeds([400, 401])).find((p) => p.name === 'tpot-p99-per-gpu')!;
    expect(JSON.stringify(tight.spec)).toContain('"type":"log"');
  });
});

describe('the xPyD heatmap labels', () => {
  it('are dark on the light (upper) part of the viridis scale and white on the dark part', () => {
    const heat = choosePlots(pdRatioSweep()).find((p) => p.name === 'xpyd-heatmap')!;
    expect(JSON.stringify(heat.spec)).toContain('"condition":{"test":"datum.value > 60","value":"#222"},"value":"white"');
  });
});
