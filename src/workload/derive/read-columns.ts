import { InputError } from '../../input-error.js';
import { CsvTable } from '../csv-table.js';

/** Reads whole columns of a small CSV (derivation inputs, not traces) as strings by name. */
export function readColumns(file: string, names: readonly string[]): string[][] {
  const csv = new CsvTable(file);
  const idx = csv.requireColumns(names);
  const cols = names.map(() => [] as string[]);
  while (csv.nextRow()) {
    for (let c = 0; c < idx.length; c++) {
      const v = csv.field(idx[c]);
      if (v === undefined) throw new InputError(`missing ${names[c]}`, file, `line ${csv.lineNumber}`);
      cols[c].push(v.trim());
    }
  }
  if (cols[0].length === 0) throw new InputError('no data rows', file);
  return cols;
}

/** A column as numbers; non-numeric cells are errors naming the line (header is line 1). */
export function numericColumn(values: readonly string[], name: string, file: string): number[] {
  return values.map((v, i) => {
    const n = v === '' ? NaN : Number(v);
    if (!Number.isFinite(n)) throw new InputError(`${name} is not a number: ${JSON.stringify(v)}`, file, `line ${i + 2}`);
    return n;
  });
}
