import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readResults } from '../../src/experiment/results-dir.js';
import { runExperimentFile } from '../../src/experiment/run-experiment.js';
import { buildReport } from '../../src/report/build-report.js';
import { choosePlots } from '../../src/report/choose-plots.js';
import { ensureBuilt, sim, smallExperiment, tempDir, writeExperiment } from '../sweep/helpers.js';
import { fakeResult, stored, writeStored } from './fixtures.js';
import { parseXml, walk } from './xml.js';

const dir = tempDir('routesim-report-');

/** Well-formed, an <svg> root, and at least one data mark with something drawn in it. */
function expectSvgWithMarks(svg: string, what: string): void {
  const root = parseXml(svg);
  expect(root.name, what).toBe('svg');
  const marks = [...walk(root)].filter((e) => /\brole-mark\b/.test(e.attrs.class ?? ''));
  expect(marks.length, `${what}: data marks`).toBeGreaterThan(0);
  const drawn = marks.flatMap((m) => [...walk(m)].filter((e) => ['path', 'rect', 'line', 'circle', 'text'].includes(e.name)));
  expect(drawn.length, `${what}: drawn elements`).toBeGreaterThan(0);
}

/** A sweep over policies, rates and prefill/decode counts on two GPU types, with costs. */
function everything() {
  const out = [];
  for (const policy of ['random', 'least-request'])
    for (const rate of [4, 8])
      for (const [p, d] of [
        [1, 1],
        [1, 2],
        [2, 1],
      ]) {
        const fleet = [
          { gpu: 'H100-SXM', count: p, tp: 1, role: 'prefill', costPerHour: 3.78 },
          { gpu: 'A100-80GB', count: d, tp: 1, role: 'decode', costPerHour: 2.5 },
        ];
        const slow = (rate / (p + d)) * (policy === 'random' ? 1.3 : 1);
        out.push(
          fakeResult({
            id: `${policy}-${rate}-${p}-${d}`,
            point: { 'router.policy': policy, rate, 'fleet[0].count': p, 'fleet[1].count': d },
            policy,
            fleet,
            ttft: [20 * slow, 200 * slow],
            tpot: [5 * slow, 15 * slow],
            attainment: Math.max(0, 1 - slow / 10),
            gpuTpotP99: { 'A100-80GB': 18 * slow, 'H100-SXM': 9 * slow },
          }),
        );
      }
  return out;
}

describe('choosing plots from what the sweep varies', () => {
  it('draws every kind when everything varies', () => {
    expect(choosePlots(everything()).map((p) => p.name)).toEqual([
      'attainment-vs-rate',
      'ttft-cdf',
      'tpot-cdf',
      'tpot-p99-per-gpu',
      'served-per-gpu',
      'xpyd-heatmap',
      'cost-vs-attainment',
    ]);
  });

  it('draws only the distributions for a single point', () => {
    expect(choosePlots([fakeResult({ id: 'x' })]).map((p) => p.name)).toEqual(['ttft-cdf', 'tpot-cdf']);
  });

  it('draws attainment per point when policies vary but rate does not; no GPU, xPyD or cost plots for one fleet', () => {
    const rs = ['random', 'least-request'].map((policy) => fakeResult({ id: policy, policy, point: { 'router.policy': policy } }));
    expect(choosePlots(rs).map((p) => p.name)).toEqual(['attainment', 'ttft-cdf', 'tpot-cdf']);
  });

  it('leaves attainment out without an SLO', () => {
    const rs = [2, 4].map((rate) => fakeResult({ id: `r${rate}`, point: { rate }, attainment: null }));
    expect(choosePlots(rs).map((p) => p.name)).toEqual(['ttft-cdf', 'tpot-cdf']);
  });
});

describe('report files', () => {
  it('every plot renders to a well-formed SVG with marks', async () => {
    const files = await buildReport(stored(everything()));
    expect(files.svgs).toHaveLength(7);
    for (const { name, svg } of files.svgs) expectSvgWithMarks(svg, name);
  });

  it('is self-contained: no scripts, no remote files; plots embedded; same bytes every time', async () => {
    const s = stored([...everything(), undefined]);
    const a = await buildReport(s);
    const b = await buildReport(s);
    expect(a).toEqual(b);
    const html = a.html;
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|@import|url\(/i);
    const refs = [...html.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    for (const r of refs) expect(r, r.slice(0, 40)).toMatch(/^(data:image\/svg\+xml;base64,|plots\/[a-z0-9-]+\.svg$)/);
    const embedded = refs.filter((r) => r.startsWith('data:'));
    expect(embedded).toHaveLength(7);
    for (const r of embedded) expectSvgWithMarks(Buffer.from(r.split(',')[1], 'base64').toString('utf8'), 'embedded');
    // A missing point is called out rather than silently left out.
    expect(html).toMatch(/Incomplete: 12 of 13 points have results/);
  });
});

describe('sim report and sim run (the built CLI)', () => {
  let results: string;
  beforeAll(async () => {
    ensureBuilt();
    const file = writeExperiment(
      dir,
      'mixed',
      smallExperiment('mixed', {
        fleet: [
          { gpu: 'H100-SXM', count: 1 },
          { gpu: 'A100-80GB', count: 1 },
        ],
        sweep: { 'router.policy': ['random', 'least-request'], rates: [4, 8], zip: [{ 'fleet[0].count': [1, 2], 'fleet[1].count': [2, 1] }] },
      }),
    );
    results = (await runExperimentFile(file, { resultsRoot: join(dir, 'results'), workers: 2 })).dir;
  }, 120_000);

  it('writes report.html and one well-formed SVG with marks per plot', () => {
    const r = sim(['report', results]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(join(results, 'report.html'));
    const svgs = readdirSync(join(results, 'plots'));
    expect(svgs.sort()).toEqual(['attainment-vs-rate.svg', 'cost-vs-attainment.svg', 'served-per-gpu.svg', 'tpot-cdf.svg', 'tpot-p99-per-gpu.svg', 'ttft-cdf.svg', 'ttft-over-time.svg']);
    for (const f of svgs) expectSvgWithMarks(readFileSync(join(results, 'plots', f), 'utf8'), f);
    const html = readFileSync(join(results, 'report.html'), 'utf8');
    expect(html).toContain('<h1>mixed</h1>');
    expect(html).not.toMatch(/<script/);
  });

  it('sim report on something that is not a results directory: one line, exit 2', () => {
    const r = sim(['report', join(dir, 'nothing-here')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: .*nothing-here: not a results directory/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('sim report on a run with no point record yet: one line, exit 2, nothing written', () => {
    const empty = join(dir, 'empty-run');
    mkdirSync(join(empty, 'points'), { recursive: true });
    writeFileSync(join(empty, 'experiment.json'), JSON.stringify({ name: 'e', seed: 1, points: [{ id: 'a', point: {} }] }));
    const r = sim(['report', empty]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: .*empty-run: none of the 1 points of "e" has a record in points\/ yet/);
    expect(readdirSync(empty).sort()).toEqual(['experiment.json', 'points']);
  });

  it('the report matches the results it was made from', async () => {
    const files = await buildReport(readResults(results));
    expect(files.html).toBe(readFileSync(join(results, 'report.html'), 'utf8'));
    expect(existsSync(join(results, 'summary.csv'))).toBe(true);
  });
});

describe('series labels', () => {
  it('name fleets by composition, and other fleet settings by their field', async () => {
    const { sweepDimensions } = await import('../../src/report/sweep-dimensions.js');
    const mk = (seqs: number, count: number) =>
      fakeResult({
        id: `${seqs}-${count}`,
        point: { 'fleet[0].engine.maxNumSeqs': seqs, 'fleet[0].count': count },
        fleet: [{ gpu: 'H100-SXM', count, tp: 1, role: 'unified', costPerHour: 3.78 }],
      });
    const d = sweepDimensions([mk(64, 1), mk(256, 1), mk(64, 2)]);
    expect(d.points.map((p) => p.series)).toEqual([
      // Not a full product of the two fields: they vary together, as one dimension.
      '1×H100-SXM engine.maxNumSeqs=64',
      '1×H100-SXM engine.maxNumSeqs=256',
      '2×H100-SXM engine.maxNumSeqs=64',
    ]);
  });
});
