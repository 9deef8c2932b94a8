/** summary.csv from the metric catalog: RFC 4180 fields, headline columns first, old results still read. */
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../helpers/csv.js';
import { summaryCsv } from '../../src/experiment/results-dir.js';
import { classMetrics, csvMetrics, HEADLINE } from '../../src/metrics/index.js';
import { fakeFailure, fakeResult } from '../report/fixtures.js';


const cls = (completed: number, attainment: number) => ({ completed, rejected: 0, slo_attainment: attainment, ttft_ms: { mean: 1, p50: 1, p90: 1, p95: 1, p99: 7 }, tpot_ms: { mean: 1, p50: 1, p90: 1, p95: 1, p99: 2 }, e2e_ms: { mean: 1, p50: 1, p90: 1, p95: 1, p99: 1 } });

describe('summary.csv', () => {
  it('quotes names with commas and quotes, keeps every row as wide as the header, and reads results written before median existed', () => {
    const a = fakeResult({ id: 'a', point: { 'router.policy': 'x, "y"' }, ttft: [50, 400] });
    a.summary.classes = { 'chat, "v2"': cls(600, 0.9), b: cls(400, 0.5) } as never;
    const rows = parseCsv(summaryCsv([a, fakeFailure('f', { 'router.policy': 'z' })]));
    const [header, ra, rf] = rows;
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(r).toHaveLength(header.length);
    expect(header.slice(2, 2 + HEADLINE.length)).toEqual(HEADLINE);
    expect(header).toHaveLength(2 + csvMetrics().length + 2 * classMetrics(['x']).length + 1);
    const at = (name: string) => ra[header.indexOf(name)];
    expect(ra[1]).toBe('x, "y"');
    // The fixture, like results of earlier versions, has p50 and no median.
    expect(at('ttft_median_ms')).toBe('50');
    expect(at('itl_mean_ms')).toBe('');
    expect(at('slo_attainment.chat, "v2"')).toBe('0.9');
    expect(at('ttft_p99_ms.b')).toBe('7');
    expect(rf[header.indexOf('error')]).toMatch(/boom/);
    expect(rf[header.indexOf('completed')]).toBe('');
  });
});
