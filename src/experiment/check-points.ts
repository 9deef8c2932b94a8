import { InputError } from '../input-error.js';
import { pointFieldWhere, sweptValueWheres, type ExperimentPoint, type LoadedExperiment } from './load.js';
import { checkOnThread, MODULE_CHECK_LIMIT_S, ModuleHungError } from './module-check.js';
import { preparePoint } from './run-point.js';
import { canonicalJson } from './sweep.js';

/** Whether a point runs code from the user's files (a custom policy module). */
export function usesPolicyModule(p: ExperimentPoint): boolean {
  return /^\.{0,2}\/|\.(m?js|ts)$/.test(p.config.router.policy);
}

export interface CheckOptions {
  /** --replicates, when given (a policy-module check on a thread expands the file the same way). */
  replicates?: number;
  /**
   * Seconds a point with a policy module may take to prepare (import and factory) before it is
   * stopped and reported; 0 checks those points on this thread, without a limit. Default
   * MODULE_CHECK_LIMIT_S.
   */
  moduleLimitS?: number;
  /**
   * The points are the whole sweep (not a shard): a swept value that is bad in every point that
   * carries it (a misspelled policy, a GPU no model of the sweep fits) is refused like a typo
   * in a single experiment, rather than left to fail point by point.
   */
  wholeSweep?: boolean;
}

/**
 * Finds the bad input a run of `exp` would meet, without simulating: every point's names
 * resolve, its fleet fits and its workload opens, and every trace it reads parses to its end
 * (streaming; synthetic datasets cannot fail mid-way, so they are not drawn). Points whose
 * policy is a module are prepared on a worker thread with a time limit, so a module that never
 * returns is reported instead of hanging the check.
 *
 * `strict` (sim validate): throws the first InputError. Otherwise (sim run, before anything is
 * written): throws when no point could run, so a typo in a single experiment exits with one
 * line, and (wholeSweep) when a swept value is bad wherever it is used; in a sweep where only
 * some combinations are bad, those points are left to fail on their own and be recorded as
 * failures while the others run. Returns the bad points' errors.
 */
export async function checkPoints(exp: LoadedExperiment, strict = true, opts: CheckOptions = {}): Promise<Map<string, InputError>> {
  const limitS = opts.moduleLimitS ?? MODULE_CHECK_LIMIT_S;
  const onThread = limitS > 0 ? exp.points.filter(usesPolicyModule).map((p) => p.id) : [];
  const threadFindings = onThread.length > 0 ? await checkOnThread(exp.file, opts.replicates, onThread, limitS) : new Map();
  const drained = new Set<string>();
  const bad = new Map<string, InputError>();
  for (const point of exp.points) {
    let err: InputError | undefined;
    if (onThread.includes(point.id)) {
      const f = threadFindings.get(point.id);
      const policy = point.config.router.policy;
      const at = pointFieldWhere(exp, point, ['router', 'policy']);
      err =
        f?.kind === 'hung'
          ? new ModuleHungError(`policy module ${policy} did not return from its import or its factory within ${f.limitS} s: stopped`, exp.file, at)
          : f?.kind === 'never-settled'
            ? new ModuleHungError(`policy module ${policy}: its import or its factory never settled (a promise nothing resolves)`, exp.file, at)
            : f?.error;
    } else {
      err = await checkPoint(exp, point, drained);
    }
    if (!err) continue;
    if (strict) throw err;
    bad.set(point.id, err);
  }
  if (bad.size > 0 && bad.size === exp.points.length) throw bad.values().next().value!;
  if (opts.wholeSweep && bad.size > 0) {
    // Points carrying each swept value, and bad points blamed on it (each of those carries it).
    const count = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
    const carriers = new Map<string, number>();
    for (const p of exp.points) for (const w of sweptValueWheres(exp, p)) count(carriers, w);
    const blamed = new Map<string, number>();
    // A module stopped for time may only be slow on this machine: its points fail, the rest run.
    for (const err of bad.values()) if (err.where !== undefined && !(err instanceof ModuleHungError)) count(blamed, err.where);
    for (const err of bad.values()) {
      if (err.where !== undefined && carriers.has(err.where) && blamed.get(err.where) === carriers.get(err.where)) throw err;
    }
  }
  return bad;
}

/**
 * One point's check: prepares it and reads its traces to the end (once per workload and seed,
 * `drained` remembers which). Returns its InputError; any other error is thrown.
 */
export async function checkPoint(exp: LoadedExperiment, point: ExperimentPoint, drained: Set<string>, onPrepared?: () => void): Promise<InputError | undefined> {
  try {
    const { stream } = await preparePoint(exp, point);
    onPrepared?.();
    if (!point.config.workload.sources.some((s) => s.trace !== undefined)) return undefined;
    const key = canonicalJson([point.config.workload, point.config.seed]);
    if (drained.has(key)) return undefined;
    drained.add(key);
    while (stream.next() !== undefined);
    return undefined;
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    return err;
  }
}
