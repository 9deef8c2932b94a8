import { Piscina } from 'piscina';
import type { PointOutcome } from './point-task.js';
import type { PointTask } from './point-worker.js';
import { workerFile } from './worker-file.js';

/** A fixed number of worker threads that run points. */
export class PointPool {
  private readonly pool: Piscina<PointTask, PointOutcome>;
  private closed = false;

  /** `file`: the experiment the points come from, which each thread loads as it starts. */
  constructor(
    readonly threads: number,
    file?: string,
    replicates?: number,
  ) {
    this.pool = new Piscina({
      filename: workerFile(),
      workerData: { file, replicates },
      minThreads: threads,
      maxThreads: threads,
      // One point at a time per thread: points are CPU-bound, more would only interleave them.
      concurrentTasksPerWorker: 1,
      idleTimeout: Infinity,
      // A larger young generation: a point allocates a few short-lived objects per request, and
      // fewer scavenges keep two threads from competing for memory bandwidth as much.
      resourceLimits: { maxYoungGenerationSizeMb: 64 },
    });
  }

  /** Runs a point; aborting `signal` terminates the thread running it (the pool replaces it). */
  run(task: PointTask, signal?: AbortSignal): Promise<PointOutcome> {
    return this.pool.run(task, signal ? { signal } : undefined);
  }

  /** Stops the threads, abandoning points still running (their promises reject). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.destroy();
  }
}
