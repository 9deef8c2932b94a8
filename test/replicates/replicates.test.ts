import { describe, expect, it } from 'vitest';
import { loadExperiment } from '../../src/experiment/load.js';
import { compareResults, parseMetrics } from '../../src/report/compare.js';
import { reportHtml } from '../../src/report/html-report.js';
import { groupReplicates, meanCi, seedsText, tQuantile975 } from '../../src/report/replicates.js';
import { fakeResult, stored } from '../report/fixtures.js';
import { smallExperiment, tempDir, writeExperiment } from '../sweep/helpers.js';

const dir = tempDir('routesim-replicates-');

/** Replicates of one configuration: the same swept values, seeds 1..n, a TTFT p99 per seed. */
function replicas(prefix: string, point: Record<string, unknown>, p99s: number[]) {
  return p99s.map((p99, i) => {
    const r = fakeResult({ id: `${prefix}-s${i + 1}`, point: { ...point, seed: i + 1 }, ttft: [50, p99] });
    r.seed = i + 1;
    return r;
  });
}

describe('mean and 95% confidence interval', () => {
  it('matches a hand calculation: 1..5 gives 3 ± 2.776 · sqrt(2.5/5)', () => {
    const m = meanCi([1, 2, 3, 4, 5])!;
    expect(m.mean).toBe(3);
    expect(m.n).toBe(5);
    expect(m.half).toBeCloseTo(2.776 * Math.sqrt(2.5 / 5), 10); // 1.9629
  });

  it('one value has no interval; no finite value has no mean', () => {
    expect(meanCi([7])).toEqual({ mean: 7, half: 0, n: 1 });
    expect(meanCi([null, NaN, undefined])).toBeNull();
    expect(meanCi([2, null, 4])).toMatchObject({ mean: 3, n: 2 });
  });

  it('t quantiles: the table, and the expansion beyond 30 df near the table values', () => {
    expect(tQuantile975(1)).toBe(12.706);
    expect(tQuantile975(30)).toBe(2.042);
    expect(tQuantile975(40)).toBeCloseTo(2.021, 3);
    expect(tQuantile975(120)).toBeCloseTo(1.98, 3);
  });
});

describe('replicates of an experiment', () => {
  it('replicates: 3 runs every sweep point with seeds seed..seed+2, the seed varying fastest', () => {
    const file = writeExperiment(dir, 'rep', { ...smallExperiment('rep'), replicates: 3, sweep: { 'router.policy': ['random', 'least-request'] } });
    const exp = loadExperiment(file);
    expect(exp.points.map((p) => [p.values['router.policy'], p.config.seed])).toEqual([
      ['random', 7], ['random', 8], ['random', 9],
      ['least-request', 7], ['least-request', 8], ['least-request', 9],
    ]);
    // --replicates overrides the file; one replicate is the plain sweep, with the ids it always had.
    expect(loadExperiment(file, { replicates: 2 }).points).toHaveLength(4);
    const plain = writeExperiment(dir, 'plain', { ...smallExperiment('rep'), sweep: { 'router.policy': ['random', 'least-request'] } });
    expect(loadExperiment(file, { replicates: 1 }).points.map((p) => p.id)).toEqual(loadExperiment(plain).points.map((p) => p.id));
    // The seed-7 replicate is the same configuration as the plain run's point.
    expect(exp.points[0].id.endsWith(loadExperiment(plain).points[0].id.split('-').pop()!)).toBe(true);
  });

  it('groups results by swept values without the seed', () => {
    const rs = [...replicas('a', { 'router.policy': 'random' }, [400, 420, 410]), ...replicas('b', { 'router.policy': 'slo' }, [300, 310])];
    expect(groupReplicates(rs).map((g) => [g.point, g.results.length])).toEqual([
      [{ 'router.policy': 'random' }, 3],
      [{ 'router.policy': 'slo' }, 2],
    ]);
  });

  it('the report header names the seeds run, and rows show mean ± CI', () => {
    const rs = replicas('a', { 'router.policy': 'random' }, [400, 420, 410, 430, 440]);
    const html = reportHtml({ manifest: { name: 'exp', seed: 1, points: rs.map((r) => ({ id: r.id, point: r.point })) }, results: rs, failures: [], missing: [], figures: [] });
    expect(html).toContain('seeds 1–5');
    expect(html).not.toContain('seed 1 ·');
    expect(html).toMatch(/<td>\d+ ± \d+<\/td>/);
    expect(seedsText([3, 1, 9])).toBe('seeds 1, 3, 9');
  });
});

describe('compare with replicates', () => {
  const metrics = parseMetrics('ttft_p99_ms');
  const base = () => replicas('a', {}, [400, 440, 380, 420, 360]); // mean 400, CI ±39.3

  it('a change beyond the tolerance but within noise is not a regression', () => {
    const cand = replicas('a', {}, [430, 470, 390, 440, 400]); // mean 426 (+6.5%), CI overlaps
    const c = compareResults(stored(base()), stored(cand), metrics, 0.02);
    expect(c.rows).toHaveLength(1);
    expect(c.rows[0]).toMatchObject({ verdict: 'ok', baseline: 400, candidate: 426 });
    expect(c.rows[0].note).toMatch(/within noise/);
    expect(c.regressions).toBe(0);
  });

  it('a change beyond tolerance and noise is worse; a lost replicate fails', () => {
    const cand = replicas('a', {}, [600, 610, 590, 605, 595]);
    expect(compareResults(stored(base()), stored(cand), metrics, 0.02).rows[0].verdict).toBe('worse');
    const lost = compareResults(stored(base()), stored(cand.slice(0, 4)), metrics, 0.02);
    expect(lost.rows[0]).toMatchObject({ metric: 'point', verdict: 'missing', note: 'seed 5' });
    expect(lost.regressions).toBe(1);
  });
});
