import { fileSystemError, InputError } from '../input-error.js';
import type { RequestOutcome } from '../metrics/index.js';
import { RoutingError } from '../routing/index.js';
import type { ExperimentPoint, LoadedExperiment } from './load.js';
import type { PointRecord } from './point-record.js';
import { outcomeRow, RequestLog } from './request-log.js';
import { runPoint, type RunHooks } from './run-point.js';

/** A point's record, plus the stack of an unexpected error (a bug deserves its trace; kept out of results). */
export interface PointOutcome {
  record: PointRecord;
  stack?: string;
}

/**
 * Runs one point and never throws: an error becomes a failure record, so one bad combination or
 * failing policy does not stop a sweep. The same code runs on the main thread and in workers, so
 * a record's bytes do not depend on where it ran.
 */
export async function executePoint(exp: LoadedExperiment, point: ExperimentPoint, requestsCsv?: string, watch?: RunHooks): Promise<PointOutcome> {
  let log: RequestLog | undefined;
  try {
    log = requestsCsv ? new RequestLog(requestsCsv) : undefined;
    const row = log && outcomeRow(log);
    const progress = watch?.onOutcome;
    const record = await runPoint(exp, point, {
      ...((row || progress) && {
        onOutcome: (o: RequestOutcome) => {
          row?.(o);
          progress?.(o);
        },
      }),
    });
    log?.close();
    return { record };
  } catch (thrown) {
    log?.abandon();
    // A write that failed (disk full, read-only) is the machine's state, not a defect: one line.
    const err = requestsCsv ? fileSystemError(thrown, requestsCsv, 'write the request log') : thrown;
    const expected = err instanceof InputError || err instanceof RoutingError;
    const message = err instanceof InputError ? err.format() : err instanceof Error ? err.message : String(err);
    return {
      record: { name: point.config.name, id: point.id, seed: point.config.seed, point: point.values, error: message },
      ...(!expected && err instanceof Error && { stack: err.stack }),
    };
  }
}
