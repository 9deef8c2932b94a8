import { InputError } from '../../input-error.js';
import { CsvTable } from '../csv-table.js';
import { DEFAULT_BLOCK_TOKENS, NO_PREFIX, newRequest } from '../request.js';
import { checkOrder, timestampValue, tokenCount } from '../token-count.js';
import type { RequestSpec } from '../types.js';
import type { TraceReader, TraceReaderOptions } from './trace-reader.js';

/**
 * Vidur/Sarathi processed-trace CSV: `num_prefill_tokens,num_decode_tokens` and, when the trace
 * has arrivals, `arrived_at` in seconds. Other columns (num_total_tokens, pd_ratio) are ignored.
 * Without `arrived_at` the trace is length-only (e.g. the Sarathi ShareGPT stats) and its
 * requests have arrival 0, for use with a synthetic arrival process.
 */
export class VidurTraceReader implements TraceReader {
  readonly hasTimestamps: boolean;
  private readonly csv: CsvTable;
  private readonly arrivedAt: number;
  private readonly prefill: number;
  private readonly decode: number;
  private readonly workloadClass: string;
  private count = 0;
  private last = 0;

  constructor(
    readonly file: string,
    opts: TraceReaderOptions = {},
  ) {
    this.csv = new CsvTable(file, opts.bufferSize);
    [this.prefill, this.decode] = this.csv.requireColumns(['num_prefill_tokens', 'num_decode_tokens']);
    this.arrivedAt = this.csv.column('arrived_at');
    this.hasTimestamps = this.arrivedAt >= 0;
    this.workloadClass = opts.workloadClass ?? 'trace';
  }

  next(): RequestSpec | undefined {
    const { csv, file } = this;
    if (!csv.nextRow()) {
      if (this.count === 0) throw new InputError('trace has no requests', file);
      return undefined;
    }
    const line = csv.lineNumber;
    let arrival = 0;
    if (this.hasTimestamps) {
      arrival = timestampValue(csv.field(this.arrivedAt), 'arrived_at', file, line);
      checkOrder(this.last, arrival, file, line);
      this.last = arrival;
    }
    const prompt = tokenCount(csv.field(this.prefill), 'num_prefill_tokens', file, line);
    const output = tokenCount(csv.field(this.decode), 'num_decode_tokens', file, line);
    this.count++;
    return newRequest(this.workloadClass, arrival, prompt, output, NO_PREFIX, DEFAULT_BLOCK_TOKENS, undefined);
  }
}
