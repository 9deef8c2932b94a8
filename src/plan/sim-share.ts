import type { Shard } from '../experiment/shard.js';
import type { SimRunner } from './sim-runner.js';
import { simKey, type SimStore } from './sim-store.js';
import type { SimOutcome, SimTask } from './sim-task.js';

/** A unit of a plan's work whose simulations are not in the store and belong to another shard. */
export interface PendingUnit {
  /** Position of the unit in the plan's order of work (the same on every machine). */
  unit: number;
  /** The shard (1-based) that runs it. */
  shard: number;
  /** The first simulation of it that is missing. */
  label: string;
  key: string;
}

/**
 * A plan's simulations split over shards and kept in a store. The plan's work comes in units (one
 * capacity search each: a building block, or a fleet verified with a policy), numbered in the
 * order the plan asks for them, which depends only on the plan and on earlier results. Unit u
 * belongs to shard (u mod N) + 1. A unit's simulations come from the store when they are there;
 * the shard that owns the unit runs the missing ones and stores them; any other shard marks the
 * unit pending and gets a stand-in outcome (nothing met), so the plan stops at the end of the
 * stage and is not reported. Rerun once the other shards are done, the plan replays the store
 * and gets the same outcomes, hence the same result, as one machine running everything.
 */
export class SimShare {
  readonly pending: PendingUnit[] = [];
  /** Simulations answered (stored or run), as an unsharded runner counts them. */
  simulations = 0;
  /** Simulations this process ran. */
  ran = 0;
  private units = 0;
  private inner: SimRunner | undefined;

  /** `run`: run the simulations this shard owns (false: only read the store, as a merge does). */
  constructor(
    readonly store: SimStore,
    readonly shard: Shard | undefined,
    readonly run: boolean,
  ) {}

  bind(inner: SimRunner): void {
    this.inner = inner;
  }

  /** The runner for the next unit of work; call once per unit, in the plan's order. */
  unit(): Pick<SimRunner, 'run'> {
    const unit = this.units++;
    const owner = this.shard ? (unit % this.shard.count) + 1 : 1;
    const mine = this.run && (!this.shard || owner === this.shard.index);
    let marked = false;
    return {
      run: async (task: SimTask): Promise<SimOutcome> => {
        const key = simKey(task);
        const stored = this.store.get(key);
        if (stored) {
          this.simulations++;
          return stored;
        }
        if (mine) {
          if (!this.inner) throw new Error('SimShare: no runner bound');
          const outcome = await this.inner.run(task);
          this.store.put(key, outcome);
          this.simulations++;
          this.ran++;
          return outcome;
        }
        if (!marked) {
          marked = true;
          this.pending.push({ unit, shard: owner, label: task.label, key });
        }
        return standIn(task);
      },
    };
  }
}

/** An outcome that meets nothing: the search ends quickly, and the stage is known to be pending. */
function standIn(task: SimTask): SimOutcome {
  return {
    label: task.label,
    completed: 0,
    rejected: 0,
    costPerHour: 0,
    throughputRps: 0,
    slos: task.slos.map(() => ({ attainment: 0, pMs: Infinity, met: false })),
    ttftMs: Infinity,
    tpotMs: Infinity,
  };
}
