import type { PointFailure } from '../experiment/point-record.js';
import type { Manifest } from '../experiment/results-dir.js';
import type { PointResult } from '../experiment/run-point.js';
import { findMetric, REJECTION_KINDS, type RejectionKind } from '../metrics/index.js';
import type { Plot } from './choose-plots.js';
import { REJECTION_HEADERS } from './run-table.js';
import { groupReplicates, meanCi, replicateKey, seedsText } from './replicates.js';

export interface HtmlReportInput {
  manifest: Manifest;
  results: readonly PointResult[];
  failures: readonly PointFailure[];
  /** Ids of points with no record yet (an interrupted or partial run). */
  missing: readonly string[];
  figures: readonly { plot: Plot; svg: string }[];
}

/**
 * One self-contained HTML page: styles inline and every plot embedded as an SVG data URI, so it
 * opens offline and plots cannot clash over SVG ids. No dates or paths: equal results give equal bytes.
 */
export function reportHtml(input: HtmlReportInput): string {
  const { manifest, results, failures, missing, figures } = input;
  const total = manifest.points.length;
  const status =
    missing.length > 0
      ? `<p class="warn">Incomplete: ${total - missing.length} of ${total} points have results; ${missing.length} missing (rerun with <code>--resume</code>).</p>`
      : '';
  const failed =
    failures.length > 0
      ? `<h2>Failed points</h2>\n<table><tr><th>point</th><th>error</th></tr>\n${failures
          .map((f) => `<tr><td>${esc(f.id)}</td><td>${esc(f.error)}</td></tr>`)
          .join('\n')}\n</table>`
      : '';
  const body = [
    `<h1>${esc(manifest.name)}</h1>`,
    manifest.description ? `<p>${esc(manifest.description.trim())}</p>` : '',
    `<p class="meta">${seedsText(seedsRun(manifest, results, failures))} · ${total} point${total === 1 ? '' : 's'}${replicatesText(manifest)} · ${results.length} with results${failures.length > 0 ? ` · ${failures.length} failed` : ''}</p>`,
    status,
    ...figures.map(
      ({ plot, svg }) =>
        `<figure id="${plot.name}" data-rows="${dataRows(plot.spec)}">\n<h2>${esc(plot.title)}</h2>\n<img alt="${esc(plot.title)}" src="data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}">\n<figcaption>${esc(plot.caption)} <a href="plots/${plot.name}.svg">SVG</a></figcaption>\n</figure>`,
    ),
    results.length > 0 ? `<h2>Results</h2>\n${resultsTable(results)}` : '',
    failed,
  ].filter(Boolean);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(manifest.name)} — routesim report</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }
h1 { margin-bottom: 0.2em; } .meta { color: #666; } .warn { color: #a40; font-weight: bold; }
figure { margin: 2em 0; } figure img { max-width: 100%; border: 1px solid #eee; } figcaption { color: #555; font-size: 0.9em; }
table { border-collapse: collapse; font-size: 0.85em; } th, td { padding: 3px 8px; border-bottom: 1px solid #ddd; text-align: right; } table.results td { white-space: nowrap; }
th:first-child, td:first-child { text-align: left; } th { background: #f4f4f4; }
</style>
</head>
<body>
${body.join('\n')}
<p class="meta">Made by routesim from the points in this directory.</p>
</body>
</html>
`;
}

/** The seeds of the points run (a swept or replicated seed gives several), else the experiment's. */
function seedsRun(manifest: Manifest, results: readonly PointResult[], failures: readonly PointFailure[]): number[] {
  const seeds = [...results, ...failures].map((r) => r.seed);
  return seeds.length > 0 ? seeds : [manifest.seed];
}

/** "(C configurations × up to S seeds)" over every point of the manifest, run or not. */
function replicatesText(manifest: Manifest): string {
  const seedsOf = new Map<string, number>();
  for (const p of manifest.points) {
    const key = replicateKey(p);
    seedsOf.set(key, (seedsOf.get(key) ?? 0) + 1);
  }
  const most = Math.max(...seedsOf.values());
  return most > 1 ? ` (${seedsOf.size} configurations × up to ${most} seeds)` : '';
}

/** The results table: catalog metrics, with a header and the digits shown. */
const COLUMNS: [string, (r: PointResult) => number | null, number][] = (
  [
    ['done', 'completed', 0],
    ['rejected', 'rejected', 0],
    ['TTFT median ms', 'ttft_median_ms', 0],
    ['TTFT p99 ms', 'ttft_p99_ms', 0],
    ['TPOT median ms', 'tpot_median_ms', 1],
    ['TPOT p99 ms', 'tpot_p99_ms', 1],
    ['ITL p99 ms', 'itl_p99_ms', 1],
    ['E2E p99 ms', 'e2e_p99_ms', 0],
    ['req/s', 'throughput_rps', 2],
    ['SLO %', 'slo_attainment', 1],
    ['goodput req/s', 'goodput_rps', 2],
    ['$/hour', 'cost_per_hour', 2],
  ] as const
).map(([header, name, digits]) => {
  const m = findMetric(name)!;
  const k = m.unit === 'share' ? 100 : 1;
  const value = (r: PointResult) => {
    const v = m.get(r);
    return v === null ? null : v * k;
  };
  return [header, value, digits];
});

/** The columns, with one per rejection kind that some point has, after "rejected". */
function columnsFor(results: readonly PointResult[]): typeof COLUMNS {
  const count = (r: PointResult, k: RejectionKind) => r.summary.rejections_by_kind?.[k] ?? 0;
  const kinds = REJECTION_KINDS.filter((k) => results.some((r) => count(r, k) > 0)).map(
    (k): (typeof COLUMNS)[number] => [REJECTION_HEADERS[k], (r) => count(r, k), 0],
  );
  return [...COLUMNS.slice(0, 2), ...kinds, ...COLUMNS.slice(2)];
}

function resultsTable(results: readonly PointResult[]): string {
  const COLUMNS = columnsFor(results);
  const groups = groupReplicates(results);
  const replicated = groups.length < results.length;
  const swept = [...new Set(groups.flatMap((g) => Object.keys(g.point)))];
  const keys = [...(swept.length > 0 ? swept : ['policy']), ...(replicated ? ['seeds'] : [])];
  const head = `<tr>${keys.map((k) => `<th>${esc(k)}</th>`).join('')}${COLUMNS.map(([h]) => `<th>${esc(h)}</th>`).join('')}</tr>`;
  // With replicates, one row per configuration: the mean ± the 95% CI half width over its seeds.
  const rows = groups.map((g) => {
    const r = g.results[0];
    const vals = swept.length > 0 ? swept.map((k) => cell(g.point[k])) : [r.policy];
    if (replicated) vals.push(String(g.results.length));
    const nums = COLUMNS.map(([, f, d]) => {
      const m = meanCi(g.results.map(f));
      if (m === null) return '-';
      return m.n > 1 ? `${m.mean.toFixed(d)} ± ${m.half.toFixed(d)}` : m.mean.toFixed(d);
    });
    return `<tr>${vals.map((v) => `<td>${esc(v)}</td>`).join('')}${nums.map((v) => `<td>${v}</td>`).join('')}</tr>`;
  });
  const note = replicated ? '\n<p class="meta">Mean ± 95% confidence interval (Student t) over each configuration\'s seeds.</p>' : '';
  return `<table class="results">\n${head}\n${rows.join('\n')}\n</table>${note}`;
}

/** Rows of data a spec draws (its own and its layers'): no mark group may draw more marks than this. */
function dataRows(spec: unknown): number {
  if (!spec || typeof spec !== 'object') return 0;
  const o = spec as { data?: { values?: unknown[] }; layer?: unknown[]; spec?: unknown };
  return (o.data?.values?.length ?? 0) + (o.layer ?? []).reduce((a: number, l) => a + dataRows(l), 0) + dataRows(o.spec);
}

function cell(v: unknown): string {
  return v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
