import { AibrixTraceReader } from './aibrix.js';
import { AzureTraceReader } from './azure.js';
import { MooncakeTraceReader } from './mooncake.js';
import type { TraceFormat, TraceReader, TraceReaderOptions } from './trace-reader.js';
import { VidurTraceReader } from './vidur.js';

/** Opens a trace file of the given format as a lazily read request stream. */
export function openTrace(format: TraceFormat, file: string, opts: TraceReaderOptions = {}): TraceReader {
  switch (format) {
    case 'mooncake':
      return new MooncakeTraceReader(file, opts);
    case 'azure':
      return new AzureTraceReader(file, opts);
    case 'vidur':
      return new VidurTraceReader(file, opts);
    case 'aibrix':
      return new AibrixTraceReader(file, opts);
  }
}
