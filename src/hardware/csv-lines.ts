/**
 * A minimal CSV reader for our numeric tables: comma-separated, no quoting, a header row,
 * `#` comment lines and blank lines skipped. Keeps 1-based line numbers for error messages.
 */
export interface CsvRow {
  line: number;
  cells: string[];
}

export interface CsvTable {
  header: string[];
  headerLine: number;
  rows: CsvRow[];
}

export function parseCsv(text: string): CsvTable | undefined {
  let header: string[] | undefined;
  let headerLine = 0;
  const rows: CsvRow[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const cells = raw.split(',').map((c) => c.trim());
    if (header === undefined) {
      header = cells;
      headerLine = i + 1;
    } else {
      rows.push({ line: i + 1, cells });
    }
  }
  return header === undefined ? undefined : { header, headerLine, rows };
}
