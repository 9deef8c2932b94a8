import { Worker } from 'node:worker_threads';
import { InputError } from '../input-error.js';
import { workerFile } from './worker-file.js';

/**
 * Longest a point's policy module may take to import and build before a run, seconds (or the
 * point timeout, when that is shorter). The shipped examples take milliseconds.
 */
export const MODULE_CHECK_LIMIT_S = 60;

export interface ModuleCheckTask {
  file: string;
  replicates?: number;
  ids: string[];
}

/**
 * What the thread reports: `ready` once the experiment is loaded; per point `prepared` once its
 * policy is built (import and factory returned), then its outcome: nothing (it passed), its
 * InputError, or an unexpected error's stack.
 */
export type ModuleCheckReport =
  | { ready: true }
  | { id: string; prepared: true }
  | { id: string; error?: { message: string; file?: string; where?: string }; crash?: string };

/** A point whose policy module did not return from its import or factory in time (it was stopped). */
export class ModuleHungError extends InputError {}

/**
 * What the check found for a point: its input error, that its import or factory did not return
 * in time, or that the thread ended while they were pending (a top-level await that never
 * settles leaves nothing to run).
 */
export type ModuleCheckFinding = { kind: 'error'; error: InputError } | { kind: 'hung'; limitS: number } | { kind: 'never-settled' };

/**
 * Prepares the points `ids` of `file` on a worker thread, so that a policy module that never
 * returns from its import or its factory is stopped after `limitS` seconds (per point) instead
 * of hanging the run. A stopped thread is replaced for the points after the one that hung.
 * Returns the points that failed; an unexpected error is rethrown, with its stack.
 */
export async function checkOnThread(file: string, replicates: number | undefined, ids: readonly string[], limitS: number): Promise<Map<string, ModuleCheckFinding>> {
  const found = new Map<string, ModuleCheckFinding>();
  let left = [...ids];
  while (left.length > 0) {
    const ended = await new Promise<{ id: string; finding: ModuleCheckFinding } | undefined>((resolve, reject) => {
      const worker = new Worker(workerFile('module-check-worker'), { workerData: { file, replicates, ids: left } satisfies ModuleCheckTask });
      let timer: NodeJS.Timeout | undefined;
      let settled = false;
      const finish = (how: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        // A module may leave a timer or a socket open: the thread is stopped, not waited for.
        void worker.terminate();
        how();
      };
      // Only building the policy is timed: not the thread's start, loading the file or reading traces.
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => finish(() => resolve({ id: left[0], finding: { kind: 'hung', limitS } })), limitS * 1000);
      };
      worker.on('message', (r: ModuleCheckReport) => {
        if (settled) return;
        if ('ready' in r) return arm();
        if ('prepared' in r) return clearTimeout(timer);
        left = left.filter((id) => id !== r.id);
        if (r.crash !== undefined) return finish(() => reject(Object.assign(new Error(r.crash!.split('\n')[0]), { stack: r.crash })));
        if (r.error) found.set(r.id, { kind: 'error', error: new InputError(r.error.message, r.error.file, r.error.where) });
        if (left.length === 0) finish(() => resolve(undefined));
        else arm();
      });
      worker.on('error', (err) => finish(() => reject(err)));
      // Ended with points unreported: the one being built never settled.
      worker.on('exit', () => finish(() => resolve(left.length > 0 ? { id: left[0], finding: { kind: 'never-settled' } } : undefined)));
    });
    if (ended === undefined) break;
    found.set(ended.id, ended.finding);
    left = left.filter((id) => id !== ended.id);
  }
  return found;
}
