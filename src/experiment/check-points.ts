import { InputError } from '../input-error.js';
import type { LoadedExperiment } from './load.js';
import { preparePoint } from './run-point.js';
import { canonicalJson } from './sweep.js';

/**
 * Finds the bad input a run of `exp` would meet, without simulating: every point's names
 * resolve, its fleet fits and its workload opens, and every trace it reads parses to its end
 * (streaming; synthetic datasets cannot fail mid-way, so they are not drawn).
 *
 * `strict` (sim validate): throws the first InputError. Otherwise (sim run, before anything is
 * written): throws only when no point could run, so a typo in a single experiment exits with one
 * line; in a sweep where only some combinations are bad, those points are left to fail on their
 * own and be recorded as failures while the others run. Returns the ids of the bad points.
 */
export async function checkPoints(exp: LoadedExperiment, strict = true): Promise<Map<string, InputError>> {
  const drained = new Set<string>();
  const bad = new Map<string, InputError>();
  for (const point of exp.points) {
    try {
      const { stream } = await preparePoint(exp, point);
      if (!point.config.workload.sources.some((s) => s.trace !== undefined)) continue;
      const key = canonicalJson([point.config.workload, point.config.seed]);
      if (drained.has(key)) continue;
      drained.add(key);
      while (stream.next() !== undefined);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      if (strict) throw err;
      bad.set(point.id, err);
    }
  }
  if (bad.size > 0 && bad.size === exp.points.length) throw bad.values().next().value!;
  return bad;
}
