import type { LoadedExperiment } from './load.js';
import { canonicalJson } from './sweep.js';
import { preparePoint } from './run-point.js';

/**
 * Finds the bad input a run of `exp` would meet, without simulating: every point's names
 * resolve, its fleet fits and its workload opens, and every request of each distinct workload
 * reads (a trace is read to its end, streaming). Throws the first InputError. `sim run` calls this
 * before writing anything, so bad input never leaves results behind; `sim validate` is this.
 */
export async function checkPoints(exp: LoadedExperiment): Promise<void> {
  const drained = new Set<string>();
  for (const point of exp.points) {
    const { stream } = await preparePoint(exp, point);
    const key = canonicalJson([point.config.workload, point.config.seed]);
    if (drained.has(key)) continue;
    drained.add(key);
    while (stream.next() !== undefined);
  }
}
