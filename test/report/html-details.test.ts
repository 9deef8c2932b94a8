import { describe, expect, it } from 'vitest';
import { withHoverTitles } from '../../src/report/render-svg.js';

describe('hover titles in rendered SVG', () => {
  it("gives each mark item a <title> from its description, and leaves containers alone", () => {
    const svg =
      '<g role="graphics-object" aria-label="point mark container">' +
      '<path aria-label="2x H100: $7.5/h &quot;x&quot;" role="graphics-symbol" d="M0,0"/>' +
      '<path role="graphics-symbol" d="M1,1"/>' +
      '<rect aria-label="bar" role="graphics-symbol" width="3"/>' +
      '<path aria-label="axis" role="graphics-object" d="M2,2"/>' +
      '<path aria-label="lo: 1; hi: 3" role="graphics-symbol" aria-roledescription="errorbar" d="M3,3"/>' +
      '<path aria-label="x: 0" role="graphics-symbol" aria-roledescription="line mark" d="M4,4"/></g>';
    expect(withHoverTitles(svg)).toBe(
      '<g role="graphics-object" aria-label="point mark container">' +
        '<path aria-label="2x H100: $7.5/h &quot;x&quot;" role="graphics-symbol" d="M0,0"><title>2x H100: $7.5/h &quot;x&quot;</title></path>' +
        '<path role="graphics-symbol" d="M1,1"/>' +
        '<rect aria-label="bar" role="graphics-symbol" width="3"><title>bar</title></rect>' +
        '<path aria-label="axis" role="graphics-object" d="M2,2"/>' +
        // An error bar repeats its point's numbers, a line is one path for many data: no title.
        '<path aria-label="lo: 1; hi: 3" role="graphics-symbol" aria-roledescription="errorbar" d="M3,3"/>' +
        '<path aria-label="x: 0" role="graphics-symbol" aria-roledescription="line mark" d="M4,4"/></g>',
    );
  });
});

describe('the report header of an interrupted run with replicates', () => {
  it('counts the configurations of the whole sweep, not only those with results', async () => {
    const { reportHtml } = await import('../../src/report/html-report.js');
    const { fakeResult } = await import('./fixtures.js');
    const points = [2, 4, 6, 8].flatMap((rate) => [1, 2].map((seed) => ({ id: `r${rate}-s${seed}`, point: { rate, seed } })));
    const results = [fakeResult({ id: 'r2-s1', point: { rate: 2, seed: 1 } }), fakeResult({ id: 'r2-s2', point: { rate: 2, seed: 2 } })];
    results[1].seed = 2;
    const html = reportHtml({ manifest: { name: 'cut', seed: 1, points }, results, failures: [], missing: points.slice(2).map((p) => p.id), figures: [] });
    expect(html).toContain('8 points (4 configurations × up to 2 seeds) · 2 with results');
  });
});

describe('point labels in bar plots', () => {
  it('are drawn whole, so rows that differ only in their last swept value stay apart; hover names the datum, not the stacking field', async () => {
    const { buildReport } = await import('../../src/report/build-report.js');
    const { fakeResult, stored } = await import('./fixtures.js');
    // Two GPU types, so the served-per-GPU plot is drawn.
    const fleet = [
      { gpu: 'H100-SXM', count: 1, tp: 1, role: 'unified' as const, costPerHour: 3.78 },
      { gpu: 'A10', count: 1, tp: 1, role: 'unified' as const, costPerHour: 0.6 },
    ];
    const records = ['least-request', 'least-kv-cache'].flatMap((policy) =>
      ['push', 'pull'].flatMap((mode) =>
        [20, 40].map((rate) => fakeResult({ id: `${policy}-${mode}-${rate}`, fleet, point: { 'router.policy': `${policy}-with-a-long-name`, 'workload.sources[0].dataset': 'sharegpt-and-bird-mixed', 'router.mode': mode, rate } })),
      ),
    );
    const files = await buildReport(stored(records));
    const served = files.svgs.find((f) => f.name === 'served-per-gpu')?.svg ?? '';
    expect(served).not.toBe('');
    expect(served).not.toContain('…');
    const titles = [...served.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => m[1]);
    expect(titles).toHaveLength(16);
    expect(titles.some((t) => t.endsWith('pull · 40 req/s: served on H100-SXM, 500 requests'))).toBe(true);
    expect(titles.join('\n')).not.toMatch(/order/);
  });
});
