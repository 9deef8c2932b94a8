import { afterEach, describe, expect, it } from 'vitest';
import { metric } from '../../src/metrics/index.js';
import { choosePlots } from '../../src/report/choose-plots.js';
import { fakeResult } from './fixtures.js';

/** Every string in a spec (titles, axis titles), flattened. */
const strings = (x: unknown): string[] =>
  typeof x === 'string' ? [x] : Array.isArray(x) ? x.flatMap(strings) : x && typeof x === 'object' ? Object.values(x).flatMap(strings) : [];

describe('report plots read names, units and axes from the metric catalog', () => {
  const att = metric('slo_attainment');
  const tpot = metric('tpot_p99_ms');
  const saved = { att: att.label, tpot: tpot.label, log: tpot.log };
  afterEach(() => {
    att.label = saved.att;
    tpot.label = saved.tpot;
    tpot.log = saved.log;
  });

  // Two policies × three rates on two GPU types, with an SLO: attainment vs rate and TPOT per GPU.
  const results = () =>
    ['random', 'slo'].flatMap((policy) =>
      [10, 20, 40].map((rate) => {
        const r = fakeResult({
          id: `${policy}-${rate}`,
          policy,
          point: { 'router.policy': policy, 'workload.rate': rate },
          fleet: [
            { gpu: 'A10', count: 1, tp: 1, dp: 1, role: 'unified', costPerHour: 1 },
            { gpu: 'H100-SXM', count: 1, tp: 1, dp: 1, role: 'unified', costPerHour: 4 },
          ],
          gpuTpotP99: { A10: 5, 'H100-SXM': 500 },
        });
        r.summary.slo = { percentile: 99, targets_ms: { tpot: 50 }, at_percentile_ms: { ttft: 1, tpot: 1, e2e: 1, tpat: 1 }, met: { tpot: true } };
        return r;
      }),
    );

  it("a metric's label in the catalog is the plot's title and axis title, with the catalog's unit", () => {
    att.label = 'Requests within SLO';
    tpot.label = 'Tail TPOT';
    const plots = choosePlots(results());
    const vsRate = plots.find((p) => p.name === 'attainment-vs-rate')!;
    expect(vsRate.title).toBe('Requests within SLO vs request rate');
    expect(strings(vsRate.spec)).toContain('Requests within SLO (%)');
    const perGpu = plots.find((p) => p.name === 'tpot-p99-per-gpu')!;
    expect(perGpu.title).toBe('Tail TPOT per GPU type');
    // 5 to 500 ms spans decades and the catalog says 'auto': a log axis.
    expect(strings(perGpu.spec)).toContain('Tail TPOT (ms, log scale)');
  });

  it("the catalog's log-scale choice decides the axis", () => {
    tpot.log = undefined;
    const perGpu = choosePlots(results()).find((p) => p.name === 'tpot-p99-per-gpu')!;
    expect(strings(perGpu.spec)).toContain('P99 TPOT (ms)');
    expect(JSON.stringify(perGpu.spec)).not.toContain('"type":"log"');
  });
});
