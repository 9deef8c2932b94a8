import { searchCapacity, targetsFor, type CapacitySearch } from './block-capacity.js';
import type { LoadedPlan } from './load-plan.js';
import type { MaxRateResult } from './max-rate.js';
import type { BlockKind, BlockResult } from './plan-result.js';
import { decodeProbe, prefillProbe, prefillsInFront, unifiedProbe } from './probe-configs.js';
import type { SimOutcome } from './sim-task.js';
import { failingSlos, sloLabel, type SloTarget } from './slo-target.js';

/**
 * Load of the prefill instances in front of a decode probe: half their capacity, so that their
 * queueing takes little of the TTFT budget a decode block is also held to.
 */
const PREFILL_LOAD = 0.5;

/** Block capacities by candidate index (req/s), per kind. */
export interface BlockCapacities {
  unified: Map<number, number>;
  prefill: Map<number, number>;
  decode: Map<number, number>;
  results: BlockResult[];
}

/**
 * Stage 1 of a plan: the largest rate each building block sustains. An aggregated block is one
 * instance of a candidate; a prefill block one instance with outputs cut to a token (TTFT
 * targets); a decode block one decode instance behind prefill instances of the strongest prefill
 * candidate at half load (TPOT and TTFT targets: see targetsFor). Searches run concurrently
 * (each is a sequence of probes); decode searches start once the prefill capacities are known.
 */
export async function measureBlocks(plan: LoadedPlan, search: CapacitySearch, onBlockDone: () => void): Promise<BlockCapacities> {
  const slos = plan.config.slo;
  const base = plan.probeBase;
  const run = async (kind: BlockKind, index: number, build: (rate: number) => ReturnType<typeof unifiedProbe>) => {
    const targets = targetsFor(kind, slos);
    const label = `${kind} ${plan.candidates[index].label}`;
    const r = await searchCapacity(search, label, targets, build);
    onBlockDone();
    return summarize(kind, plan.candidates[index].label, targets, r);
  };
  const unifiedJobs = (plan.aggregated?.candidates ?? []).map((i) =>
    run('unified', i, (rate) => unifiedProbe(base, plan.candidates[i].entry, rate)),
  );
  const prefillList = plan.disaggregated?.prefill ?? [];
  const prefillJobs = prefillList.map((i) => run('prefill', i, (rate) => prefillProbe(base, plan.candidates[i].entry, rate)));
  const prefills = await Promise.all(prefillJobs);

  let decodes: BlockResult[] = [];
  const decodeList = plan.disaggregated?.decode ?? [];
  // The strongest prefill candidate fronts every decode probe: the fewest instances to simulate.
  const front = prefills.reduce((best, b, j) => (b.capacity > (best < 0 ? 0 : prefills[best].capacity) ? j : best), -1);
  // A sharded plan whose prefill capacities are not all known yet cannot size decode probes.
  const prefillsKnown = !search.units || search.units.pending.length === 0;
  if (front >= 0 && prefillsKnown) {
    const frontEntry = plan.candidates[prefillList[front]].entry;
    const frontCapacity = prefills[front].capacity;
    decodes = await Promise.all(
      decodeList.map((i) =>
        run('decode', i, (rate) =>
          decodeProbe(base, frontEntry, prefillsInFront(rate, frontCapacity, PREFILL_LOAD), plan.candidates[i].entry, plan.policies.disaggregated[0], rate),
        ),
      ),
    );
  } else {
    for (const _ of decodeList) onBlockDone();
  }
  const unified = await Promise.all(unifiedJobs);
  const byIndex = (list: number[], results: BlockResult[]) => new Map(list.map((i, j) => [i, results[j]?.capacity ?? 0]));
  return {
    unified: byIndex(plan.aggregated?.candidates ?? [], unified),
    prefill: byIndex(prefillList, prefills),
    decode: byIndex(decodeList, decodes),
    results: [...unified, ...prefills, ...decodes],
  };
}

function summarize(kind: BlockKind, candidate: string, targets: SloTarget[], r: MaxRateResult<SimOutcome>): BlockResult {
  // Where it first failed: at the bracket's upper end, or, when nothing passed, the lowest rate tried.
  const failing = r.best
    ? r.probes.find((p) => p.rate === r.failedAt)
    : r.probes.reduce((lo, p) => (p.rate < lo.rate ? p : lo), r.probes[0]);
  return {
    kind,
    candidate,
    capacity: r.rate,
    failedAt: Number.isFinite(r.failedAt) ? r.failedAt : null,
    simulations: r.probes.length,
    targets: targets.map(sloLabel),
    bestAttainment: targets.map((_, i) => Math.max(...r.probes.map((p) => p.result.slos[i].attainment))),
    binding: failing ? failingSlos(targets, failing.result.slos).map((i) => sloLabel(targets[i])) : [],
  };
}
