import type { Comparison } from './compare.js';
import { formatTable } from './table.js';

/** The table `sim compare` prints: one row per point and metric, with the change and its verdict. */
export function formatComparison(c: Comparison, tolerance: number): string {
  const table = formatTable(c.rows, [
    { header: 'point', value: (r) => r.id },
    { header: 'metric', value: (r) => r.metric },
    { header: 'baseline', value: (r) => num(r.baseline) },
    { header: 'candidate', value: (r) => num(r.candidate) },
    { header: 'change', value: (r) => (r.change === null ? '-' : `${r.change >= 0 ? '+' : ''}${(r.change * 100).toFixed(2)}%`) },
    { header: 'verdict', value: (r) => (r.note ? `${r.verdict} (${r.note})` : r.verdict) },
  ]);
  const points = new Set(c.rows.filter((r) => r.verdict !== 'ok' && r.verdict !== 'better').map((r) => r.id)).size;
  const tol = `${+(tolerance * 100).toFixed(4)}%`;
  const verdict =
    c.regressions > 0
      ? `${c.name}: FAIL: ${c.regressions} check${c.regressions === 1 ? '' : 's'} worse beyond ${tol} in ${points} point${points === 1 ? '' : 's'}`
      : `${c.name}: ok: no metric worse beyond ${tol} (${new Set(c.rows.map((r) => r.id)).size} points)`;
  const extra = c.extra.length > 0 ? `\nnot in the baseline (not checked): ${c.extra.join(', ')}` : '';
  const unchecked = c.unchecked.length > 0 ? `\nno baseline result (failed there; not checked): ${c.unchecked.join(', ')}` : '';
  return `${table}\n${verdict}${extra}${unchecked}`;
}

/** Significant digits that show small changes without drowning big numbers in decimals. */
function num(x: number | null): string {
  if (x === null) return '-';
  const a = Math.abs(x);
  return a >= 1000 ? x.toFixed(0) : a >= 1 ? x.toFixed(3) : x.toFixed(4);
}
