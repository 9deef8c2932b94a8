/** Plain-text tables for the terminal: columns padded to their widest cell, numbers right-aligned. */
export interface Column<T> {
  header: string;
  value(row: T): string | number | null | undefined;
  /** Digits after the point for numbers (default 1). */
  digits?: number;
}

export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((r) =>
    columns.map((c) => {
      const v = c.value(r);
      if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return '-';
      return typeof v === 'number' ? v.toFixed(c.digits ?? 1) : v;
    }),
  );
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i].length)));
  const numeric = columns.map((c, i) => rows.length > 0 && rows.every((r, j) => typeof c.value(r) === 'number' || cells[j][i] === '-'));
  const line = (vals: string[]) =>
    vals.map((v, i) => (numeric[i] ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(columns.map((c) => c.header)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
