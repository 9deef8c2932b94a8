import type { Shard } from '../experiment/shard.js';
import type { LoadedPlan } from './load-plan.js';
import type { PlanResult } from './plan-result.js';
import { runPlan, type PlanOptions } from './run-plan.js';
import { SimShare, type PendingUnit } from './sim-share.js';
import type { SimStore } from './sim-store.js';

export interface SharedPlanRun {
  /** The plan's result: to be reported only when `complete`. */
  result: PlanResult;
  complete: boolean;
  /** Units of other shards whose simulations are not in the store yet. */
  pending: PendingUnit[];
  /** Simulations this process ran (the rest came from the store). */
  ran: number;
}

/**
 * Runs a plan over a store of simulations: this shard's units of work are run and stored, the
 * rest read back. `run: false` only reads (a merge). Passes repeat while other shards have meanwhile
 * stored what the last pass waited for, so shards that run side by side get through every
 * stage in one go; a shard that would wait instead returns, and a later run continues.
 */
export async function runPlanShared(
  plan: LoadedPlan,
  store: SimStore,
  shard: Shard | undefined,
  opts: PlanOptions & { run: boolean },
): Promise<SharedPlanRun> {
  let ran = 0;
  for (;;) {
    const share = new SimShare(store, shard, opts.run);
    const result = await runPlan(plan, { ...opts, share });
    ran += share.ran;
    if (share.pending.length === 0) return { result, complete: true, pending: [], ran };
    if (!opts.run || !share.pending.some((p) => store.has(p.key))) return { result, complete: false, pending: share.pending, ran };
  }
}
