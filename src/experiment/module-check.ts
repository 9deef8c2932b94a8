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

/** One point checked: nothing (it prepared), its InputError, or an unexpected error's stack. */
export interface ModuleCheckReport {
  id: string;
  error?: { message: string; file?: string; where?: string };
  crash?: string;
}

/** A point whose policy module did not return from its import or factory in time (it was stopped). */
export class ModuleHungError extends InputError {}

/** What the check found for a point: its input error, or that it did not finish in time. */
export type ModuleCheckFinding = { kind: 'error'; error: InputError } | { kind: 'hung'; limitS: number };

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
    const hung = await new Promise<string | undefined>((resolve, reject) => {
      const worker = new Worker(workerFile('module-check-worker'), { workerData: { file, replicates, ids: left } satisfies ModuleCheckTask });
      let timer: NodeJS.Timeout | undefined;
      let stuck: string | undefined;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          stuck = left[0];
          void worker.terminate();
        }, limitS * 1000);
      };
      worker.on('message', (r: ModuleCheckReport) => {
        left = left.filter((id) => id !== r.id);
        if (r.crash !== undefined) {
          clearTimeout(timer);
          void worker.terminate();
          reject(Object.assign(new Error(r.crash.split('\n')[0]), { stack: r.crash }));
          return;
        }
        if (r.error) found.set(r.id, { kind: 'error', error: new InputError(r.error.message, r.error.file, r.error.where) });
        if (left.length === 0) clearTimeout(timer);
        else arm();
      });
      worker.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      worker.on('exit', () => {
        clearTimeout(timer);
        resolve(stuck);
      });
      arm();
    });
    if (hung === undefined) break;
    found.set(hung, { kind: 'hung', limitS });
    left = left.filter((id) => id !== hung);
  }
  return found;
}
