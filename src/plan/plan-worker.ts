/**
 * The worker-thread side of a plan's simulation pool: piscina calls the default export with each
 * task. Tasks carry their whole configuration, so a worker keeps no state between them.
 */
import { executeSimTask, type SimOutcome, type SimTask } from './sim-task.js';

export default function runSimTask(task: SimTask): Promise<SimOutcome> {
  return executeSimTask(task);
}
