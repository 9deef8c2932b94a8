import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { InputError } from '../input-error.js';
import { checkPoints, usesPolicyModule } from './check-points.js';
import { MODULE_CHECK_LIMIT_S, ModuleHungError } from './module-check.js';
import { loadExperiment, type ExperimentPoint, type LoadedExperiment } from './load.js';
import { isFailure, type PointFailure, type PointRecord } from './point-record.js';
import { executePoint, type PointOutcome } from './point-task.js';
import type { PointPool } from './pool.js';
import { DEFAULT_POINT_TIMEOUT_S } from './point-timeout.js';
import type { PointTask } from './point-worker.js';
import { ResultsDir, type Manifest } from './results-dir.js';
import { ResultsLock } from './results-lock.js';
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
  /**
   * Wall-clock limit per point, seconds (default DEFAULT_POINT_TIMEOUT_S; 0: none). A point that
   * runs longer fails, its worker thread is replaced and the sweep goes on. Points run on worker
   * threads whenever a limit applies to them (a sweep, or a custom policy module).
   */
  pointTimeoutS?: number;
  /** Overrides the experiment's replicates (runs per point, each with its own seed). */
  replicates?: number;
  /** Aborting stops the run: points still running are abandoned, finished ones are kept. */
  signal?: AbortSignal;
  /**
   * Once the points to run are known; `parallel` says they run on worker threads. `bad`: the
   * points the check found bad input in (id and one-line error), recorded as failed while the
   * others run.
   */
  onStart?(info: { total: number; resumed: number; parallel: boolean; bad: { id: string; error: string }[] }): void;
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
  /** The summary could not be written (disk full, ...): why, in one line. */
  summaryError?: string;
  /** A lock left by a run that is gone was replaced: its holder, for a note. */
  staleLock?: string;
  /** Where the finished run this one replaced is kept (this one was interrupted or had failures). */
  previousKept?: string;
}

export { DEFAULT_POINT_TIMEOUT_S };

/**
 * Where an experiment's results go: `<root>/<name>` for --out, else outputs.dir resolved against
 * the experiment file's directory (like every other path in the file), else results/<name> under
 * the working directory.
 */
export function resultsDirOf(exp: LoadedExperiment, root?: string): string {
  if (root) return join(root, exp.name);
  const d = exp.base.outputs.dir;
  if (d !== undefined) return isAbsolute(d) ? d : resolve(exp.baseDir, d);
  return join('results', exp.name);
}

/**
 * Runs the points of an experiment file: on a pool of worker threads when there are several,
 * writing each point's record as it finishes, then the summary once every point has one.
 */
export async function runExperimentFile(file: string, opts: RunOptions = {}): Promise<ExperimentRun> {
  const exp = loadExperiment(file, { replicates: opts.replicates });
  const dir = resultsDirOf(exp, opts.resultsRoot);
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
  const timeoutS = opts.pointTimeoutS ?? DEFAULT_POINT_TIMEOUT_S;
  if (!(timeoutS >= 0)) throw new InputError(`point timeout must be >= 0 seconds, got ${timeoutS}`);
  // Custom policy code could loop forever: only a worker thread can be stopped, so it runs on one.
  const parallel = todo.length > 1 || (timeoutS > 0 && todo.some((i) => usesPolicyModule(selected[i])));
  // The threads start (and load the experiment) while this one checks the input.
  // The pool (and its thread library) loads only when points run on threads: one point runs here.
  const pool = parallel ? new (await import('./pool.js')).PointPool(threads, file, opts.replicates) : undefined;
  let lock: ResultsLock | undefined;
  try {
    // Bad input is reported before anything is written or run (unless only some sweep points are
    // bad: those fail on their own and are recorded); a shard checks its own points.
    // A policy module that hangs in its import or factory is stopped there, and its points are
    // recorded as failed rather than run (they would hang until the point timeout).
    const moduleLimitS = timeoutS === 0 ? 0 : Math.min(timeoutS, MODULE_CHECK_LIMIT_S);
    const bad = await checkPoints({ ...exp, points: selected }, false, { replicates: opts.replicates, moduleLimitS, wholeSweep: !opts.shard });
    const hung = new Map([...bad].filter(([, err]) => err instanceof ModuleHungError));

    // One run per directory at a time (shards of one sweep may share it); then the directory
    // must be ours (empty, or a manifest of ours), and only our files in it are replaced.
    const previous = store.open();
    lock = ResultsLock.acquire(dir, `sim run ${exp.file}${opts.shard ? ` --shard ${opts.shard.index}/${opts.shard.count}` : ''}`, opts.shard);
    const staleLock = lock.replacedStale ? `pid ${lock.replacedStale.pid} on ${lock.replacedStale.host}, started ${lock.replacedStale.started}` : undefined;
    store.begin(manifest, opts.resume ? todo.map((i) => selected[i].id) : opts.shard ? selected.map((p) => p.id) : 'all', previous);

    const single = exp.points.length === 1;
    const csv = (p: ExperimentPoint) => (opts.requestsCsv || p.config.outputs.requestsCsv ? store.requestsPath(p.id, single) : undefined);
    const stacks: Record<string, string> = {};
    const progress: RunProgress = { total: selected.length, done: selected.length - todo.length, running: 0, failed: 0 };
    let emitted = 0;
    // Points whose record could not be written: the summary is made only from records on disk.
    const unsaved = new Set<string>();
    const finish = (i: number, outcome: PointOutcome) => {
      let record = outcome.record;
      try {
        store.writePoint(record);
      } catch (err) {
        // Disk full, read-only: this point fails (in memory; it cannot be recorded), every point
        // already written stays, and the sweep goes on (later points may still fit).
        if (!(err instanceof InputError)) throw err;
        const why = `${isFailure(record) ? 'record' : 'result'} not saved: ${err.format()}`;
        unsaved.add(record.id);
        record = { name: record.name, id: record.id, seed: record.seed, point: record.point, error: isFailure(record) ? `${record.error}; ${why}` : why };
      }
      records[i] = record;
      if (outcome.stack) stacks[record.id] = outcome.stack;
      progress.done++;
      if (isFailure(record)) progress.failed++;
      flush();
    };
    const flush = () => {
      for (; emitted < records.length && records[emitted]; emitted++) opts.onPoint?.(records[emitted]!, exp);
      opts.onProgress?.({ ...progress });
    };

    // Only the points this run will record as failed (a resume keeps its finished ones).
    const willRun = new Set(todo.map((i) => selected[i].id));
    const badToRun = [...bad].filter(([id]) => willRun.has(id)).map(([id, err]) => ({ id, error: err.format() }));
    opts.onStart?.({ total: selected.length, resumed: selected.length - todo.length, parallel, bad: badToRun });
    flush();
    for (const i of todo) {
      const err = hung.get(selected[i].id);
      if (err) finish(i, { record: { name: selected[i].config.name, id: selected[i].id, seed: selected[i].config.seed, point: selected[i].values, error: err.format() } });
    }
    const runnable = todo.filter((i) => !hung.has(selected[i].id));
    if (!pool) {
      // One point: no thread start-up, and the same code a worker would run.
      for (const i of runnable) {
        if (opts.signal?.aborted) break;
        progress.running = 1;
        opts.onProgress?.({ ...progress });
        const w = selected[i].config.workload;
        let ended = 0;
        const watch = opts.onPointProgress && {
          onOutcome: (o: { arrival: number }) => {
            ended++;
            if (w.duration !== undefined) opts.onPointProgress!(Math.min(o.arrival, w.duration), w.duration, 's');
            else if (w.requests !== undefined) opts.onPointProgress!(ended, w.requests, 'requests');
          },
        };
        const outcome = await executePoint(exp, selected[i], csv(selected[i]), watch || undefined);
        progress.running = 0;
        finish(i, outcome);
      }
    } else {
      await runOnPool(pool, threads, runnable, (i) => ({ file, index: indexOf.get(selected[i].id)!, id: selected[i].id, requestsCsv: csv(selected[i]), replicates: opts.replicates }), {
        signal: opts.signal,
        timeoutS,
        started: () => {
          progress.running++;
          opts.onProgress?.({ ...progress });
        },
        finished: (i, outcome) => {
          progress.running--;
          finish(i, outcome);
        },
        crashed: (i, err, timedOut) => ({
          record: {
            name: exp.name,
            id: selected[i].id,
            seed: selected[i].config.seed,
            point: selected[i].values,
            error: timedOut
              ? `point ran longer than the point timeout (${timeoutS} s; --point-timeout): stopped, its worker thread was replaced`
              : `worker failed: ${(err as Error)?.message ?? String(err)}`,
          },
        }),
      });
    }

    const interrupted = records.some((r) => !r);
    if (interrupted) store.removeLeftovers(selected.filter((_, i) => !records[i]).map((p) => p.id));
    const known = new Map(records.flatMap((r) => (r && !unsaved.has(r.id) ? [[r.id, r] as const] : [])));
    let complete = false;
    let summaryError: string | undefined;
    try {
      complete = !interrupted && store.summarizeIfComplete(manifest, known);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      summaryError = `summary not written: ${err.format()}`;
    }
    const done = records.filter((r): r is PointRecord => r !== undefined);
    // The finished run this one replaced is deleted only once this one has finished cleanly.
    const failed = done.some(isFailure);
    if (complete && !failed) store.dropPrevious();
    const previousKept = existsSync(store.previousDir) ? store.previousDir : undefined;
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
      ...(summaryError !== undefined && { summaryError }),
      ...(staleLock !== undefined && { staleLock }),
      ...(previousKept !== undefined && { previousKept }),
    };
  } finally {
    await pool?.close();
    lock?.release();
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
    /** Wall-clock limit per point, seconds (0: none). */
    timeoutS: number;
    started(): void;
    finished(i: number, outcome: PointOutcome): void;
    crashed(i: number, err: unknown, timedOut: boolean): PointOutcome;
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
          // The pool stops the thread of an aborted task and starts a fresh one in its place.
          const limit = new AbortController();
          const timer = hooks.timeoutS > 0 && hooks.timeoutS * 1000 < 2 ** 31 ? setTimeout(() => limit.abort(), hooks.timeoutS * 1000) : undefined;
          pool
            .run(task(i), limit.signal)
            .catch((err: unknown) => hooks.crashed(i, err, limit.signal.aborted))
            .then((outcome) => {
              clearTimeout(timer);
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
