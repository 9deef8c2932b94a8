import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/input-error.js';
import { compareResults, parseMetrics, parseTolerance } from '../../src/report/compare.js';
import { formatComparison } from '../../src/report/compare-table.js';
import { fakeFailure, fakeResult, stored, writeStored } from '../report/fixtures.js';
import { ensureBuilt, sim, tempDir } from '../sweep/helpers.js';

const metrics = parseMetrics(undefined);
const base = () => [
  fakeResult({ id: 'a', ttft: [50, 400], tpot: [10, 30], attainment: 0.9, throughput: 10 }),
  fakeResult({ id: 'b', ttft: [80, 900], tpot: [12, 40], attainment: 0.8, throughput: 12 }),
];

describe('compare verdicts', () => {
  it('identical results: every metric ok, no regression', () => {
    const c = compareResults(stored(base()), stored(base()), metrics, 0.02);
    expect(c.regressions).toBe(0);
    expect(c.rows).toHaveLength(2 * metrics.length);
    expect(c.rows.every((r) => r.verdict === 'ok' && r.change === 0)).toBe(true);
  });

  it('a latency up beyond the tolerance is worse; within it is ok', () => {
    const cand = base();
    cand[0].metrics.ttft_ms.p99 = 400 * 1.05; // +5%
    cand[1].metrics.ttft_ms.p99 = 900 * 1.01; // +1%
    const c = compareResults(stored(base()), stored(cand), metrics, 0.02);
    const row = (id: string, m: string) => c.rows.find((r) => r.id === id && r.metric === m)!;
    expect(row('a', 'ttft_p99_ms').verdict).toBe('worse');
    expect(row('a', 'ttft_p99_ms').change).toBeCloseTo(0.05, 10);
    expect(row('b', 'ttft_p99_ms').verdict).toBe('ok');
    expect(c.regressions).toBe(1);
    // With a looser tolerance the same change passes.
    expect(compareResults(stored(base()), stored(cand), metrics, 0.1).regressions).toBe(0);
  });

  it('lower latency and higher attainment or throughput are better, not failures', () => {
    const cand = base();
    cand[0].metrics.tpot_ms.p50 = 5;
    cand[0].metrics.slo_attainment = 0.99;
    cand[1].metrics.throughput_rps = 20;
    const c = compareResults(stored(base()), stored(cand), metrics, 0.02);
    expect(c.regressions).toBe(0);
    expect(c.rows.filter((r) => r.verdict === 'better').map((r) => `${r.id}:${r.metric}`)).toEqual([
      'a:tpot_median_ms',
      'a:slo_attainment',
      'b:throughput_rps',
    ]);
  });

  it('lower attainment, goodput or throughput beyond the tolerance is worse', () => {
    const cand = base();
    cand[1].metrics.slo_attainment = 0.7;
    cand[1].metrics.goodput_rps = 5;
    cand[0].metrics.throughput_rps = 9;
    const c = compareResults(stored(base()), stored(cand), metrics, 0.02);
    expect(c.rows.filter((r) => r.verdict === 'worse').map((r) => `${r.id}:${r.metric}`)).toEqual([
      'a:throughput_rps',
      'b:slo_attainment',
      'b:goodput_rps',
    ]);
    expect(c.regressions).toBe(3);
  });

  it('checks only the metrics asked for', () => {
    const cand = base();
    cand[0].metrics.ttft_ms.p99 = 1000;
    const only = parseMetrics(['tpot_p99_ms,slo_attainment']);
    const c = compareResults(stored(base()), stored(cand), only, 0.02);
    expect(c.regressions).toBe(0);
    expect(new Set(c.rows.map((r) => r.metric))).toEqual(new Set(['tpot_p99_ms', 'slo_attainment']));
  });

  it('a point that failed or is missing in the candidate is a regression; one only in the candidate is listed', () => {
    const [a, b] = base();
    const c = compareResults(stored([a, b]), stored([a, fakeFailure('b'), fakeResult({ id: 'c' })]), metrics, 0.02);
    expect(c.rows.filter((r) => r.metric === 'point')).toEqual([
      expect.objectContaining({ id: 'b', verdict: 'failed' }),
    ]);
    expect(c.regressions).toBe(1);
    expect(c.extra).toEqual(['c']);
    const missing = compareResults(stored([a, b]), stored([a]), metrics, 0.02);
    expect(missing.rows.find((r) => r.id === 'b')?.verdict).toBe('missing');
    expect(missing.regressions).toBe(1);
  });

  it('a point the baseline has no result for is listed as not checked, not passed in silence', () => {
    const [a, b] = base();
    const c = compareResults(stored([a, fakeFailure('b')]), stored([a, b]), metrics, 0.02);
    expect(c.regressions).toBe(0);
    expect(c.unchecked).toEqual(['b']);
    expect(formatComparison(c, 0.02)).toMatch(/\nno baseline result \(failed there; not checked\): b$/);
  });

  it('a baseline that lost point records is refused, not passed by checking less', () => {
    const [a, b] = base();
    const lost = stored([a, b]);
    lost.records[1] = undefined;
    expect(() => compareResults(lost, stored([a, b]), metrics, 0.02)).toThrow(/the baseline is incomplete: 1 of its 2 points have no record \(points\/b\.json\)/);
    expect(() => compareResults(stored([fakeFailure('a'), fakeFailure('b')]), stored([a, b]), metrics, 0.02)).toThrow(/every point of the baseline failed \(2\)/);
  });

  it('a value the candidate lost (no SLO any more) is worse; one neither has is ok', () => {
    const cand = base();
    cand[0].metrics.slo_attainment = null;
    const c = compareResults(stored(base()), stored(cand), parseMetrics('slo_attainment'), 0.02);
    expect(c.rows.map((r) => r.verdict)).toEqual(['worse', 'ok']);
    const none = [fakeResult({ id: 'a', attainment: null })];
    expect(compareResults(stored(none), stored(none), parseMetrics('slo_attainment'), 0.02).rows[0].verdict).toBe('ok');
  });

  it('refuses results of different experiments', () => {
    expect(() => compareResults(stored(base(), 'exp'), stored(base(), 'other'), metrics, 0.02)).toThrow(/hold different experiments \("exp" and "other"\)/);
    expect(() => compareResults(stored(base()), stored([fakeResult({ id: 'z' })]), metrics, 0.02)).toThrow(/no point in common/);
  });

  it('parses tolerances and metric names, refusing bad ones', () => {
    expect(parseTolerance('2%')).toBeCloseTo(0.02);
    expect(parseTolerance('0.05')).toBeCloseTo(0.05);
    expect(parseTolerance('0')).toBe(0);
    for (const bad of ['-1%', 'two', '2%%', '']) expect(() => parseTolerance(bad)).toThrow(InputError);
    expect(() => parseMetrics('ttft_p99_ms,latency')).toThrow(/unknown metric "latency"/);
  });

  it('prints a table with the change and a one-line verdict', () => {
    const cand = base();
    cand[0].metrics.ttft_ms.p99 = 440;
    const text = formatComparison(compareResults(stored(base()), stored(cand), metrics, 0.02), 0.02);
    expect(text).toMatch(/^point\s+metric\s+baseline\s+candidate\s+change\s+verdict/);
    expect(text).toMatch(/a\s+ttft_p99_ms\s+400\.000\s+440\.000\s+\+10\.00%\s+worse/);
    expect(text.trim().split('\n').pop()).toBe('exp: FAIL: 1 check worse beyond 2% in 1 point');
  });
});

describe('sim compare (the built CLI)', () => {
  const dir = tempDir('routesim-compare-');
  beforeAll(ensureBuilt);

  it('exits 0 when nothing is worse, 1 when something is, 2 for different experiments or bad flags', () => {
    const b = writeStored(join(dir, 'base', 'exp'), stored(base()));
    const same = writeStored(join(dir, 'same', 'exp'), stored(base()));
    const cand = base();
    cand[1].metrics.tpot_ms.p99 = 60;
    const worse = writeStored(join(dir, 'worse', 'exp'), stored(cand));
    const other = writeStored(join(dir, 'other', 'other'), stored(base(), 'other'));

    const ok = sim(['compare', b, same]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/exp: ok: no metric worse beyond 2%/);
    const bad = sim(['compare', b, worse, '--tolerance', '5%']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/b\s+tpot_p99_ms\s+40\.000\s+60\.000\s+\+50\.00%\s+worse/);
    expect(sim(['compare', b, worse, '--tolerance', '60%']).code).toBe(0);
    expect(sim(['compare', b, worse, '--metrics', 'ttft_p99_ms', 'slo_attainment']).code).toBe(0);
    // Roots holding experiments by name compare too.
    expect(sim(['compare', join(dir, 'base'), join(dir, 'worse')]).code).toBe(1);

    for (const args of [
      [b, other],
      [b, join(dir, 'nowhere')],
      [b, same, '--tolerance', 'lots'],
      [b, same, '--metrics', 'speed'],
    ]) {
      const r = sim(['compare', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^error: /);
    }
    expect(sim(['compare', b, other]).stderr).toMatch(/hold different experiments \("exp" and "other"\)/);
  });
});
