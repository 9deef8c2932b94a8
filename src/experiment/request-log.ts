import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { e2e, tpot, ttft, type RequestOutcome } from '../metrics/index.js';
import { csvField, quoted } from './csv-field.js';

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
      'id,class,arrival_s,instance,prompt_tokens,output_tokens,cached_tokens,ttft_ms,tpot_ms,e2e_ms,queue_ms,preemptions,rejection,prefill_instance,router_queue_ms,rejection_kind\n',
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

/** The run hook that writes one CSV row per request as it ends, from its outcome record. */
export function outcomeRow(log: RequestLog) {
  return (o: RequestOutcome) => {
    const ms = (s: number) => (s * 1000).toFixed(3);
    const head = `${o.id},${csvField(o.className)},${o.arrival.toFixed(6)},${csvField(o.instanceId)},${o.promptTokens},${o.outputTokens}`;
    if (o.rejection) {
      log.write(`${head},,,,,,,${quoted(o.rejection.reason)},${csvField(o.prefillInstanceId)},,${o.rejection.kind}\n`);
      return;
    }
    const tpotS = tpot(o);
    // Queue time: at the router, then at the instance that computed the prompt (the prefill side when disaggregated).
    const queue = o.firstScheduled - o.arrival - (o.enqueued - o.dispatched);
    log.write(
      `${head},${o.cachedTokens},${ms(ttft(o))},${Number.isNaN(tpotS) ? '' : ms(tpotS)},${ms(e2e(o))},${ms(queue)},${o.preemptions},,${csvField(o.prefillInstanceId)},${ms(o.dispatched - o.arrival)},\n`,
    );
  };
}
