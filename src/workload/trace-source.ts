import type { LengthCaps } from './dataset-source.js';
import { keepsLengths } from './length-filter.js';
import { namespaceFor } from './prefix-hash.js';
import { openTrace } from './trace/open-trace.js';
import type { TraceFormat, TraceReader, TraceReaderOptions } from './trace/trace-reader.js';
import type { RequestSpec, RequestStream } from './types.js';

export interface TraceSourceOptions extends LengthCaps, TraceReaderOptions {
  /** Start the trace again when it ends (for length-only use with a synthetic arrival process). */
  loop?: boolean;
  /**
   * Key of the namespace the trace's own block ids move into (see `namespaceFor`), e.g. the
   * format and path as the experiment file writes them, so results do not depend on where the
   * file lives on disk.
   */
  hashNamespace?: string;
}

/**
 * A trace as a request source: sets the class, skips records outside a length filter, applies
 * length caps, moves prefix block ids into the trace's namespace, and restarts the trace when
 * looping. Reads up to the first kept request at construction, so a missing, malformed or empty
 * trace fails when the workload is opened (and a filter that keeps nothing shows there).
 */
export class TraceSource implements RequestStream {
  private reader: TraceReader;
  private head: RequestSpec | undefined;
  /** Whether the filter kept no record at all (the caller reports it; an empty trace fails in its reader). */
  readonly keptNothing: boolean;
  private readonly ns: number;
  private readonly maxPrompt: number;
  private readonly maxOutput: number;

  constructor(
    private readonly format: TraceFormat,
    private readonly file: string,
    private readonly opts: TraceSourceOptions = {},
  ) {
    this.reader = openTrace(format, file, opts);
    this.ns = namespaceFor(opts.hashNamespace ?? `${format}:${file}`);
    this.maxPrompt = opts.maxPromptTokens ?? Infinity;
    this.maxOutput = opts.maxOutputTokens ?? Infinity;
    this.head = this.nextKept();
    this.keptNothing = this.head === undefined;
  }

  /** The reader's next record that passes the filter (records outside it are skipped, as benchmarks drop them). */
  private nextKept(): RequestSpec | undefined {
    const f = this.opts.filter;
    let r = this.reader.next();
    if (f !== undefined) while (r !== undefined && !keepsLengths(f, r.promptTokens, r.outputTokens)) r = this.reader.next();
    return r;
  }

  get hasTimestamps(): boolean {
    return this.reader.hasTimestamps;
  }

  next(): RequestSpec | undefined {
    let r = this.head;
    if (r !== undefined) {
      this.head = undefined;
    } else {
      r = this.nextKept();
      if (r === undefined && this.opts.loop) {
        // The first pass kept a record (the caller checked keptNothing), so this pass finds one.
        this.reader = openTrace(this.format, this.file, this.opts);
        r = this.nextKept();
      }
      if (r === undefined) return undefined;
    }
    return this.adapt(r);
  }

  private adapt(r: RequestSpec): RequestSpec {
    if (this.opts.workloadClass !== undefined) r.workloadClass = this.opts.workloadClass;
    if (r.outputTokens > this.maxOutput) r.outputTokens = this.maxOutput;
    const hashes = r.prefixHashes as number[];
    if (r.promptTokens > this.maxPrompt) {
      r.promptTokens = this.maxPrompt;
      const full = Math.floor(this.maxPrompt / r.hashBlockTokens);
      if (hashes.length > full) hashes.length = full;
    }
    // The reader hands over a fresh array per request (or the frozen empty one), so in place.
    const ns = this.ns;
    for (let i = 0; i < hashes.length; i++) hashes[i] += ns;
    return r;
  }
}
