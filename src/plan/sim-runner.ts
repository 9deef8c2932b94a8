import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { InputError } from '../input-error.js';
import { executeSimTask, type SimOutcome, type SimTask } from './sim-task.js';

/** Runs a plan's simulations: on worker threads, or on this thread (workers = 0). */
export interface SimRunner {
  /** The outcome of a task; bad input in it becomes an InputError, anything else an Error. */
  run(task: SimTask): Promise<SimOutcome>;
  /** Simulations finished so far. */
  readonly simulations: number;
  close(): Promise<void>;
}

/**
 * The compiled worker file: next to this module in dist/, or, when this module runs from src/
 * (tests run the TypeScript directly), the build in dist/.
 */
export function planWorkerFile(): string {
  const candidates = [new URL('./plan-worker.js', import.meta.url), new URL('../../dist/plan/plan-worker.js', import.meta.url)];
  for (const url of candidates) {
    const path = fileURLToPath(url);
    if (existsSync(path)) return path;
  }
  throw new Error('the plan worker is not built (dist/plan/plan-worker.js is missing): run npm run build');
}

/**
 * `workers` threads (0: this thread, one simulation at a time). Each outcome is returned to the
 * call that asked for it, so results never depend on which thread finished first.
 */
export function createSimRunner(workers: number, onDone?: (simulations: number) => void): SimRunner {
  let simulations = 0;
  let closed = false;
  const pool =
    workers > 0
      ? new Piscina<SimTask, SimOutcome>({
          filename: planWorkerFile(),
          minThreads: workers,
          maxThreads: workers,
          // Simulations are CPU-bound: more than one per thread would only interleave them.
          concurrentTasksPerWorker: 1,
          idleTimeout: Infinity,
        })
      : undefined;
  // On this thread, one at a time: interleaved runs would only compete for the same core.
  let chain: Promise<unknown> = Promise.resolve();
  const inline = (task: SimTask): Promise<SimOutcome> => {
    // After close (a search failed), queued simulations are dropped rather than run for nothing.
    const next = chain.then(() => (closed ? Promise.reject(new Error('the simulation runner is closed')) : executeSimTask(task)));
    chain = next.catch(() => {});
    return next;
  };
  return {
    async run(task) {
      const outcome = await (pool ? pool.run(task) : inline(task));
      simulations++;
      onDone?.(simulations);
      if (outcome.error !== undefined) {
        if (outcome.inputError) throw new InputError(`${task.label}: ${outcome.error}`);
        throw new Error(`simulation "${task.label}" failed: ${outcome.error}`);
      }
      return outcome;
    },
    get simulations() {
      return simulations;
    },
    async close() {
      closed = true;
      await pool?.destroy();
    },
  };
}
