import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { Sequence } from '../serving/index.js';
import type { RequestSpec } from '../workload/index.js';

/** Suffix of a request log still being written; a run that stops early leaves it, never a finished-looking CSV. */
export const PARTIAL_SUFFIX = '.partial';

/** Buffered per-request CSV: rows go to a temporary file that is renamed into place on close. */
export class RequestLog {
  private readonly tmp: string;
  private readonly fd: number;
  private buffer: string[] = [];
  private size = 0;

  constructor(private readonly path: string) {
    this.tmp = `${path}${PARTIAL_SUFFIX}`;
    // Created exclusively: a file or symlink left at the temporary name is replaced, not written through.
    rmSync(this.tmp, { force: true });
    this.fd = openSync(this.tmp, 'wx');
    this.write(
      'id,class,arrival_s,instance,prompt_tokens,output_tokens,cached_tokens,ttft_ms,tpot_ms,e2e_ms,queue_ms,preemptions,rejection\n',
    );
  }

  write(line: string): void {
    this.buffer.push(line);
    this.size += line.length;
    if (this.size > 1 << 16) this.flush();
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
    renameSync(this.tmp, this.path);
  }

  /** Closes without publishing: the partial file stays behind (for a point that failed). */
  abandon(): void {
    try {
      this.flush();
    } catch {
      // the point has failed already (perhaps on this very write); keep what is there
    }
    closeSync(this.fd);
  }

  private flush(): void {
    if (this.buffer.length > 0) {
      // A short write (a disk filling up) is continued, never left as a silently cut file.
      const bytes = Buffer.from(this.buffer.join(''));
      for (let done = 0; done < bytes.length; ) done += writeSync(this.fd, bytes, done, bytes.length - done);
    }
    this.buffer = [];
    this.size = 0;
  }
}

/** The run hook that writes one CSV row per request as it ends. */
export function requestRow(log: RequestLog) {
  return (req: RequestSpec, seq: Sequence | undefined, instance: string | undefined, rejection?: string, responseS = 0) => {
    const ms = (s: number) => (s * 1000).toFixed(3);
    if (!seq) {
      log.write(`${req.id},${req.workloadClass},${req.arrival.toFixed(6)},${instance ?? ''},${req.promptTokens},${req.outputTokens},,,,,,,"${rejection ?? ''}"\n`);
      return;
    }
    const ttft = seq.firstTokenAt + responseS - req.arrival;
    const e2e = seq.finishedAt + responseS - req.arrival;
    const tpot = req.outputTokens > 1 ? ms((e2e - ttft) / (req.outputTokens - 1)) : '';
    log.write(
      `${req.id},${req.workloadClass},${req.arrival.toFixed(6)},${instance},${req.promptTokens},${req.outputTokens},${seq.cachedTokens},${ms(ttft)},${tpot},${ms(e2e)},${ms(seq.firstScheduledAt - req.arrival)},${seq.preemptions},\n`,
    );
  };
}
