/**
 * The worker-thread side of the point pool: loads the experiment file once per worker and runs
 * the points it is given. piscina calls the default export with each task.
 */
import { workerData } from 'piscina';
import { loadExperiment, type LoadedExperiment } from './load.js';
import { executePoint, type PointOutcome } from './point-task.js';

export interface PointTask {
  /** The experiment file, as the main thread was given it (workers share its working directory). */
  file: string;
  /** Index of the point in the experiment's expansion, and its id (a check that both threads agree). */
  index: number;
  id: string;
  /** Where to write the per-request CSV, when asked for. */
  requestsCsv?: string;
  /** --replicates, when given (the thread expands the file the same way). */
  replicates?: number;
}

const loaded = new Map<string, LoadedExperiment>();

// Load the experiment while the main thread checks it, rather than on the first point. A bad
// file is the main thread's to report; here it is simply loaded again (and fails) per task.
const data = workerData as { file?: string; replicates?: number } | undefined;
const preload = data?.file;
const key = (file: string, replicates?: number) => `${replicates ?? ''}:${file}`;
if (preload) {
  try {
    loaded.set(key(preload, data?.replicates), loadExperiment(preload, { replicates: data?.replicates }));
  } catch {
    // reported by the main thread
  }
}

export default async function runTask(task: PointTask): Promise<PointOutcome> {
  let exp = loaded.get(key(task.file, task.replicates));
  if (!exp) {
    exp = loadExperiment(task.file, { replicates: task.replicates });
    loaded.set(key(task.file, task.replicates), exp);
  }
  const point = exp.points[task.index];
  if (point?.id !== task.id) {
    throw new Error(`${task.file} changed while running: point ${task.index} is no longer ${task.id}`);
  }
  return executePoint(exp, point, task.requestsCsv);
}
