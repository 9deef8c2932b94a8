import { InputError } from '../../input-error.js';
import { LineReader } from '../line-reader.js';
import { DEFAULT_BLOCK_TOKENS, NO_PREFIX, newRequest } from '../request.js';
import { checkOrder, timestampValue, tokenCount } from '../token-count.js';
import type { RequestSpec } from '../types.js';
import { parseJsonObject } from './json-line.js';
import type { TraceReader, TraceReaderOptions } from './trace-reader.js';

/**
 * AIBrix workload JSONL: one object per dispatch instant,
 * `{"timestamp": ms, "requests": [{"prompt", "prompt_length", "output_length", "session_id"?}]}`.
 * Also accepted: the legacy v1 keys (`Timestamp`, `Requests`, `Prompt Length`, `Output Length`)
 * and the hybrid the AIBrix sample workloads use (lowercase outer keys, v1 length keys). All
 * requests of a line arrive at its timestamp. The prompt text is not kept. `output_length: null`
 * (the generator leaves it open) takes `defaultOutputTokens`, or is an error without one.
 */
export class AibrixTraceReader implements TraceReader {
  readonly hasTimestamps = true;
  private readonly lines: LineReader;
  private readonly workloadClass: string;
  private readonly defaultOutput: number | undefined;
  private pending: unknown[] = [];
  private pendingIndex = 0;
  private pendingArrival = 0;
  private count = 0;
  private last = 0;

  constructor(
    readonly file: string,
    opts: TraceReaderOptions = {},
  ) {
    this.lines = new LineReader(file, opts.bufferSize);
    this.workloadClass = opts.workloadClass ?? 'trace';
    this.defaultOutput = opts.defaultOutputTokens;
  }

  next(): RequestSpec | undefined {
    while (this.pendingIndex >= this.pending.length) {
      if (!this.readLine()) {
        if (this.count === 0) throw new InputError('trace has no requests', this.file);
        return undefined;
      }
    }
    const { file } = this;
    const line = this.lines.lineNumber;
    const index = this.pendingIndex++;
    const r = this.pending[index];
    const where = `requests[${index}]`;
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      throw new InputError(`${where} must be an object`, file, `line ${line}`);
    }
    const o = r as Record<string, unknown>;
    const prompt = tokenCount(pick(o, 'prompt_length', 'Prompt Length'), `${where}.prompt_length`, file, line);
    let rawOutput = pick(o, 'output_length', 'Output Length');
    if (rawOutput === null) {
      if (this.defaultOutput === undefined) {
        throw new InputError(
          `${where}.output_length is null; set the trace's defaultOutputTokens`,
          file,
          `line ${line}`,
        );
      }
      rawOutput = this.defaultOutput;
    }
    const output = tokenCount(rawOutput, `${where}.output_length`, file, line);
    const session = o.session_id;
    const sessionId = session === undefined || session === null ? undefined : String(session);
    this.count++;
    return newRequest(
      this.workloadClass,
      this.pendingArrival,
      prompt,
      output,
      NO_PREFIX,
      DEFAULT_BLOCK_TOKENS,
      sessionId,
    );
  }

  /** Reads the next non-blank line into `pending`; false at the end of the file. */
  private readLine(): boolean {
    const { lines, file } = this;
    for (;;) {
      const text = lines.next();
      if (text === undefined) return false;
      if (text.trim() === '') continue;
      const line = lines.lineNumber;
      const o = parseJsonObject(text, file, line);
      const arrival = timestampValue(pick(o, 'timestamp', 'Timestamp'), 'timestamp', file, line) / 1000;
      checkOrder(this.last, arrival, file, line);
      this.last = arrival;
      const requests = pick(o, 'requests', 'Requests');
      if (requests === undefined) throw new InputError('missing requests', file, `line ${line}`);
      if (!Array.isArray(requests)) throw new InputError('requests must be an array', file, `line ${line}`);
      this.pending = requests;
      this.pendingIndex = 0;
      this.pendingArrival = arrival;
      return true;
    }
  }
}

/** The value under the current key, else under the legacy one. */
function pick(o: Record<string, unknown>, key: string, legacy: string): unknown {
  const v = o[key];
  return v === undefined ? o[legacy] : v;
}
