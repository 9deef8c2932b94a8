import { InputError } from '../../input-error.js';
import { CsvTable } from '../csv-table.js';
import { DEFAULT_BLOCK_TOKENS, NO_PREFIX, newRequest } from '../request.js';
import { checkOrder, tokenCount } from '../token-count.js';
import type { RequestSpec } from '../types.js';
import type { TraceReader, TraceReaderOptions } from './trace-reader.js';

const COLUMNS = ['TIMESTAMP', 'ContextTokens', 'GeneratedTokens'] as const;
// "2023-11-16 18:15:46.6805900": wall-clock time with 100-ns digits, no time zone.
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?$/;

/**
 * Azure LLM inference trace CSV (`TIMESTAMP,ContextTokens,GeneratedTokens`). Timestamps become
 * seconds after the first row. Whole seconds and the fraction are kept apart until subtracted,
 * so the 100-ns digits survive.
 */
export class AzureTraceReader implements TraceReader {
  readonly hasTimestamps = true;
  private readonly csv: CsvTable;
  private readonly cols: number[];
  private readonly workloadClass: string;
  private count = 0;
  private firstSeconds = 0;
  private firstFraction = 0;
  private last = 0;

  constructor(
    readonly file: string,
    opts: TraceReaderOptions = {},
  ) {
    this.csv = new CsvTable(file, opts.bufferSize);
    this.cols = this.csv.requireColumns(COLUMNS);
    this.workloadClass = opts.workloadClass ?? 'trace';
  }

  next(): RequestSpec | undefined {
    const { csv, cols, file } = this;
    if (!csv.nextRow()) {
      if (this.count === 0) throw new InputError('trace has no requests', file);
      return undefined;
    }
    const line = csv.lineNumber;
    const stamp = (csv.field(cols[0]) ?? '').trim();
    const m = DATETIME.exec(stamp);
    if (m === null) {
      throw new InputError(
        `TIMESTAMP must look like "2023-11-16 18:15:46.6805900", got ${JSON.stringify(stamp)}`,
        file,
        `line ${line}`,
      );
    }
    const [year, month, day, hour, minute, second] = [+m[1], +m[2], +m[3], +m[4], +m[5], +m[6]];
    const ms = Date.UTC(year, month - 1, day, hour, minute, second);
    // Date.UTC rolls over (month 13 is next January, 25:61 tomorrow); a real time does not.
    const d = new Date(ms);
    if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
      throw new InputError(`TIMESTAMP ${JSON.stringify(stamp)} is not a valid date and time`, file, `line ${line}`);
    }
    const seconds = ms / 1000;
    const fraction = m[7] === undefined ? 0 : Number(m[7]);
    if (this.count === 0) {
      this.firstSeconds = seconds;
      this.firstFraction = fraction;
    }
    const arrival = seconds - this.firstSeconds + (fraction - this.firstFraction);
    checkOrder(this.last, arrival, file, line);
    this.last = arrival;
    const prompt = tokenCount(csv.field(cols[1]), COLUMNS[1], file, line);
    const output = tokenCount(csv.field(cols[2]), COLUMNS[2], file, line);
    this.count++;
    return newRequest(this.workloadClass, arrival, prompt, output, NO_PREFIX, DEFAULT_BLOCK_TOKENS, undefined);
  }
}
