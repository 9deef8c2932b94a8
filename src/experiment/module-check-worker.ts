/**
 * The thread side of module-check.ts: loads the experiment and checks the points it is given as
 * check-points.ts does (preparing a point imports its policy module and calls the factory),
 * reporting each point as it is done.
 * The main thread stops this thread when a point takes too long.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { checkPoint } from './check-points.js';
import { loadExperiment } from './load.js';
import type { ModuleCheckReport, ModuleCheckTask } from './module-check.js';

const task = workerData as ModuleCheckTask;
const post = (report: ModuleCheckReport) => parentPort!.postMessage(report);

const exp = loadExperiment(task.file, { replicates: task.replicates });
const drained = new Set<string>();
post({ ready: true });
for (const id of task.ids) {
  const point = exp.points.find((p) => p.id === id);
  try {
    if (!point) throw new Error(`${task.file} changed while it was checked: point ${id} is gone`);
    const err = await checkPoint(exp, point, drained, () => post({ id, prepared: true }));
    post(err ? { id, error: { message: err.message, file: err.file, where: err.where } } : { id });
  } catch (err) {
    post({ id, crash: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
}
