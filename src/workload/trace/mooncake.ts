import { InputError } from '../../input-error.js';
import { LineReader } from '../line-reader.js';
import { NO_PREFIX, newRequest } from '../request.js';
import { checkOrder, timestampValue, tokenCount } from '../token-count.js';
import type { RequestSpec } from '../types.js';
import { parseJsonObject as parseJson } from './json-line.js';
import type { TraceReader, TraceReaderOptions } from './trace-reader.js';

/** Mooncake hashes prompts in blocks of 512 tokens. */
export const MOONCAKE_BLOCK_TOKENS = 512;
const MAX_HASH_ID = 2 ** 32;

/**
 * Mooncake FAST'25 JSONL: `{"timestamp": ms, "input_length", "output_length", "hash_ids": [...]}`.
 * `hash_ids` becomes `prefixHashes` (block 512, or the `hashBlockTokens` option for traces in this
 * layout hashed at another block size). The trace also hashes the last, partial block;
 * only full blocks are kept, as a paged prefix cache (vLLM) only reuses full blocks.
 */
export class MooncakeTraceReader implements TraceReader {
  readonly hasTimestamps = true;
  private readonly lines: LineReader;
  private readonly workloadClass: string;
  private readonly blockTokens: number;
  private count = 0;
  private last = 0;

  constructor(
    readonly file: string,
    opts: TraceReaderOptions = {},
  ) {
    this.lines = new LineReader(file, opts.bufferSize);
    this.workloadClass = opts.workloadClass ?? 'trace';
    this.blockTokens = opts.hashBlockTokens ?? MOONCAKE_BLOCK_TOKENS;
  }

  next(): RequestSpec | undefined {
    const { lines, file } = this;
    for (;;) {
      const text = lines.next();
      if (text === undefined) {
        if (this.count === 0) throw new InputError('trace has no requests', file);
        return undefined;
      }
      if (text.trim() === '') continue;
      const line = lines.lineNumber;
      const o = parseJson(text, file, line);
      const arrival = timestampValue(o.timestamp, 'timestamp', file, line) / 1000;
      checkOrder(this.last, arrival, file, line);
      this.last = arrival;
      const prompt = tokenCount(o.input_length, 'input_length', file, line);
      const output = tokenCount(o.output_length, 'output_length', file, line);
      const hashes = fullBlockHashes(o.hash_ids, prompt, this.blockTokens, file, line);
      this.count++;
      return newRequest(this.workloadClass, arrival, prompt, output, hashes, this.blockTokens, undefined);
    }
  }
}

/** Validates `hash_ids` and truncates it in place to the prompt's full blocks. */
function fullBlockHashes(
  value: unknown,
  prompt: number,
  blockTokens: number,
  file: string,
  line: number,
): readonly number[] {
  if (value === undefined || value === null) return NO_PREFIX;
  if (!Array.isArray(value)) throw new InputError('hash_ids must be an array', file, `line ${line}`);
  // Every id is checked, also those past the prompt's full blocks: a malformed one is bad input.
  for (let i = 0; i < value.length; i++) {
    const id = value[i];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= MAX_HASH_ID) {
      throw new InputError(
        `hash_ids[${i}] must be an integer in [0, 2^32), got ${JSON.stringify(id)}`,
        file,
        `line ${line}`,
      );
    }
  }
  const full = Math.floor(prompt / blockTokens);
  if (value.length > full) value.length = full;
  return value.length === 0 ? NO_PREFIX : (value as number[]);
}
