import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { checkPoints } from './check-points.js';
import { loadExperiment, type ExperimentPoint, type LoadedExperiment } from './load.js';
import { isFailure, type PointFailure, type PointRecord } from './point-record.js';
import { executePoint, type PointOutcome } from './point-task.js';
import { PointPool } from './pool.js';
import type { PointTask } from './point-worker.js';
import { ResultsDir, type Manifest } from './results-dir.js';
import type { PointResult } from './run-point.js';
import { shardPoints, type Shard } from './shard.js';

export interface RunProgress {
  /** Points of this run (this shard's), finished ones (including resumed), running, failed. */
  total: number;
  done: number;
  running: number;
  failed: number;
}

export interface RunOptions {
  /** Overrides the results root (default: outputs.dir or results/<name>). */
  resultsRoot?: string;
  /** Writes requests.csv even if the experiment does not ask for it. */
  requestsCsv?: boolean;
  /** Worker threads (default: the number of cores). Results do not depend on it. */
  workers?: number;
  /** Runs only this shard's points. */
  shard?: Shard;
  /** Keeps points already done in the results directory instead of running them again. */
  resume?: boolean;
  /** Overrides the experiment's replicates (runs per point, each with its own seed). */
  replicates?: number;
  /** Aborting stops the run: points still running are abandoned, finished ones are kept. */
  signal?: AbortSignal;
  /** Once the points to run are known; `parallel` says they run on worker threads. */
  onStart?(info: { total: number; resumed: number; parallel: boolean }): void;
  /** Each point's record, in sweep order (so output does not depend on completion order). */
  onPoint?(record: PointRecord, exp: LoadedExperiment): void;
  onProgress?(progress: RunProgress): void;
  /**
   * A point running alone on this thread: how far its workload is, as requests end (seconds of
   * arrivals of `total` when the workload has a duration, else requests of `total`).
   */
  onPointProgress?(done: number, total: number, unit: 's' | 'requests'): void;
}

export interface ExperimentRun {
  experiment: LoadedExperiment;
  /** This run's points (its shard's), in sweep order. */
  results: PointResult[];
  failures: PointFailure[];
  /** Stacks of unexpected errors (bugs), by point id. */
  stacks: Record<string, string>;
  dir: string;
  /** Points this run was to have (its shard's), and how many were taken from an earlier run (--resume). */
  total: number;
  resumed: number;
  /** Stopped by the signal before every point finished. */
  interrupted: boolean;
  /** Every point of the experiment has a record and summary.csv/json were written. */
  complete: boolean;
}

/**
 * Runs the points of an experiment file: on a pool of worker threads when there are several,
 * writing each point's record as it finishes, then the summary once every point has one.
 */
export async function runExperimentFile(file: string, opts: RunOptions = {}): Promise<ExperimentRun> {
  const exp = loadExperiment(file, { replicates: opts.replicates });
  const dir = opts.resultsRoot ? join(opts.resultsRoot, exp.name) : (exp.base.outputs.dir ?? join('results', exp.name));
  const store = new ResultsDir(dir);
  const manifest: Manifest = {
    name: exp.name,
    seed: exp.base.seed,
    ...(exp.base.description !== undefined && { description: exp.base.description }),
    points: exp.points.map((p) => ({ id: p.id, point: p.values })),
  };
  const indexOf = new Map(exp.points.map((p, i) => [p.id, i]));
  const selected = shardPoints(exp.points, opts.shard);

  const records: (PointRecord | undefined)[] = selected.map((p) => {
    if (!opts.resume) return undefined;
    const r = store.readPoint(p.id);
    return r && !isFailure(r) ? r : undefined;
  });
  const todo = selected.flatMap((p, i) => (records[i] ? [] : [i]));
  const threads = Math.max(1, Math.min(opts.workers ?? availableParallelism(), todo.length));
  const parallel = todo.length > 1;
  // The threads start (and load the experiment) while this one checks the input.
  const pool = parallel ? new PointPool(threads, file, opts.replicates) : undefined;
  try {
    // Bad input is reported before anything is written or run (unless only some sweep points are
    // bad: those fail on their own and are recorded); a shard checks its own points.
    await checkPoints({ ...exp, points: selected }, false);

    store.begin(manifest, opts.resume ? todo.map((i) => selected[i].id) : opts.shard ? selected.map((p) => p.id) : 'all');

    const single = exp.points.length === 1;
    const csv = (p: ExperimentPoint) => (opts.requestsCsv || p.config.outputs.requestsCsv ? store.requestsPath(p.id, single) : undefined);
    const stacks: Record<string, string> = {};
    const progress: RunProgress = { total: selected.length, done: selected.length - todo.length, running: 0, failed: 0 };
    let emitted = 0;
    const finish = (i: number, outcome: PointOutcome) => {
      records[i] = outcome.record;
      store.writePoint(outcome.record);
      if (outcome.stack) stacks[outcome.record.id] = outcome.stack;
      progress.done++;
      if (isFailure(outcome.record)) progress.failed++;
      flush();
    };
    const flush = () => {
      for (; emitted < records.length && records[emitted]; emitted++) opts.onPoint?.(records[emitted]!, exp);
      opts.onProgress?.({ ...progress });
    };

    opts.onStart?.({ total: selected.length, resumed: selected.length - todo.length, parallel });
    flush();
    if (!pool) {
      // One point: no thread start-up, and the same code a worker would run.
      for (const i of todo) {
        if (opts.signal?.aborted) break;
        progress.running = 1;
        opts.onProgress?.({ ...progress });
        const w = selected[i].config.workload;
        let ended = 0;
        const watch = opts.onPointProgress && {
          onRequestEnd: (req: { arrival: number }) => {
            ended++;
            if (w.duration !== undefined) opts.onPointProgress!(Math.min(req.arrival, w.duration), w.duration, 's');
            else if (w.requests !== undefined) opts.onPointProgress!(ended, w.requests, 'requests');
          },
        };
        const outcome = await executePoint(exp, selected[i], csv(selected[i]), watch || undefined);
        progress.running = 0;
        finish(i, outcome);
      }
    } else {
      await runOnPool(pool, threads, todo, (i) => ({ file, index: indexOf.get(selected[i].id)!, id: selected[i].id, requestsCsv: csv(selected[i]), replicates: opts.replicates }), {
        signal: opts.signal,
        started: () => {
          progress.running++;
          opts.onProgress?.({ ...progress });
        },
        finished: (i, outcome) => {
          progress.running--;
          finish(i, outcome);
        },
        crashed: (i, err) => ({
          record: { name: exp.name, id: selected[i].id, seed: selected[i].config.seed, point: selected[i].values, error: `worker failed: ${(err as Error)?.message ?? String(err)}` },
        }),
      });
    }

    const interrupted = records.some((r) => !r);
    if (interrupted) store.removeLeftovers(selected.filter((_, i) => !records[i]).map((p) => p.id));
    const known = new Map(records.flatMap((r) => (r ? [[r.id, r] as const] : [])));
    const complete = !interrupted && store.summarizeIfComplete(manifest, known);
    const done = records.filter((r): r is PointRecord => r !== undefined);
    return {
      experiment: exp,
      results: done.filter((r): r is PointResult => !isFailure(r)),
      failures: done.filter(isFailure),
      stacks,
      dir,
      total: selected.length,
      resumed: selected.length - todo.length,
      interrupted,
      complete,
    };
  } finally {
    await pool?.close();
  }
}

/**
 * Keeps `threads` points in flight on the pool until all are done or the signal aborts, then
 * closes the pool, which drops points still running after an abort. A task that fails in the
 * pool itself (a worker that died) becomes that point's failure, like any other error.
 */
async function runOnPool(
  pool: PointPool,
  threads: number,
  todo: readonly number[],
  task: (i: number) => PointTask,
  hooks: {
    signal?: AbortSignal;
    started(): void;
    finished(i: number, outcome: PointOutcome): void;
    crashed(i: number, err: unknown): PointOutcome;
  },
): Promise<void> {
  const signal = hooks.signal;
  let settled = false;
  let onAbort = () => {};
  try {
    await new Promise<void>((resolve, reject) => {
      const end = (err?: unknown) => {
        if (settled) return;
        settled = true;
        if (err === undefined) resolve();
        else reject(err);
      };
      onAbort = () => end();
      signal?.addEventListener('abort', onAbort, { once: true });
      let next = 0;
      let inFlight = 0;
      const pump = () => {
        if (signal?.aborted || (next >= todo.length && inFlight === 0)) return end();
        while (inFlight < threads && next < todo.length) {
          const i = todo[next++];
          inFlight++;
          hooks.started();
          pool
            .run(task(i))
            .catch((err: unknown) => hooks.crashed(i, err))
            .then((outcome) => {
              inFlight--;
              if (settled) return;
              try {
                hooks.finished(i, outcome);
              } catch (err) {
                return end(err);
              }
              pump();
            });
        }
      };
      pump();
    });
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await pool.close();
  }
}
