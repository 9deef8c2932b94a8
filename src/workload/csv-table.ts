import { InputError } from '../input-error.js';
import { LineReader } from './line-reader.js';

/**
 * A CSV file read row by row: the header names the columns, each row is split on commas. Trace
 * CSVs hold only numbers and timestamps, so quoting is not supported.
 */
export class CsvTable {
  private readonly lines: LineReader;
  private readonly header: string[];
  private fields: string[] = [];

  constructor(
    readonly file: string,
    bufferSize?: number,
  ) {
    this.lines = new LineReader(file, bufferSize);
    const first = this.lines.next();
    if (first === undefined || first.trim() === '') {
      throw new InputError('trace is empty (no header line)', file, 'line 1');
    }
    this.header = first.replace(/^\uFEFF/, '').split(',').map((s) => s.trim());
    const twice = this.header.find((name, i) => name !== '' && this.header.indexOf(name) < i);
    if (twice !== undefined) throw new InputError(`column ${twice} appears twice in the header`, file, 'line 1');
  }

  /** Index of a column, or -1 when the header does not have it. */
  column(name: string): number {
    return this.header.indexOf(name);
  }

  /** Indices of the required columns; names every missing one in the error. */
  requireColumns(names: readonly string[]): number[] {
    const missing = names.filter((n) => this.column(n) < 0);
    if (missing.length > 0) {
      throw new InputError(
        `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (header has: ${this.header.join(', ')})`,
        this.file,
        'line 1',
      );
    }
    return names.map((n) => this.column(n));
  }

  /** 1-based line number of the row most recently read. */
  get lineNumber(): number {
    return this.lines.lineNumber;
  }

  /** Advances to the next non-blank row; false at the end of the file. */
  nextRow(): boolean {
    for (;;) {
      const line = this.lines.next();
      if (line === undefined) return false;
      if (line.trim() === '') continue;
      this.fields = line.split(',');
      // A row with more or fewer fields than the header has its values under the wrong names.
      if (this.fields.length !== this.header.length) {
        throw new InputError(`${this.fields.length} fields where the header has ${this.header.length} columns (${this.header.join(', ')}); quoted commas are not supported`, this.file, `line ${this.lines.lineNumber}`);
      }
      return true;
    }
  }

  /** A field of the current row (undefined when the row is short). */
  field(index: number): string | undefined {
    return this.fields[index];
  }
}
