import type { RequestStream } from '../types.js';

/**
 * A trace file read as a stream of requests in file order. Arrival times are in seconds as the
 * trace gives them (Azure: relative to its first row); requests have id -1 until a workload
 * stream numbers them.
 */
export interface TraceReader extends RequestStream {
  readonly file: string;
  /** False for length-only traces: their requests have arrival 0 and need an arrival process. */
  readonly hasTimestamps: boolean;
}

export interface TraceReaderOptions {
  /** Chunk size of the synchronous reads, bytes (tests use tiny ones). Default 64 KiB. */
  bufferSize?: number;
  /** Class given to the requests; default "trace". */
  workloadClass?: string;
  /** AIBrix only: output length for entries whose output_length is null. */
  defaultOutputTokens?: number;
  /** Mooncake format: tokens covered by one hash_ids entry (default 512, the Mooncake trace's own). */
  hashBlockTokens?: number;
}

export type TraceFormat = 'mooncake' | 'azure' | 'vidur' | 'aibrix';
export const TRACE_FORMATS: readonly TraceFormat[] = ['mooncake', 'azure', 'vidur', 'aibrix'];
