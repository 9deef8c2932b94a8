import { availableParallelism } from 'node:os';
import type { CapacitySearch } from './block-capacity.js';
import { boundsExplanation, compareOptions, fleetOptions, type FleetOption } from './fleet-options.js';
import type { LoadedPlan } from './load-plan.js';
import { measureBlocks, type BlockCapacities } from './measure-blocks.js';
import type { BlockResult, PlanResult, TargetResult } from './plan-result.js';
import { createSimRunner, type SimRunner } from './sim-runner.js';
import type { SimShare } from './sim-share.js';
import { sloLabel } from './slo-target.js';
import { verifyFleets } from './verify-fleets.js';

export interface PlanOptions {
  /** Worker threads (default: the number of cores; 0: this thread). */
  workers?: number;
  /** Fleets to verify per target (default: the plan's search.verify). */
  verify?: number;
  /** Bisection precision (default: the plan's search.precision). */
  precision?: number;
  onProgress?(p: PlanProgress): void;
  /**
   * Keep simulations in a store and run only this shard's units (sim plan --shard/--resume). When
   * `share.pending` is not empty afterwards, the result is incomplete and must not be reported.
   */
  share?: SimShare;
}

export interface PlanProgress {
  stage: 'blocks' | 'verify';
  /** Block searches or verified fleet x policy rows finished, of `total`. */
  done: number;
  total: number;
  simulations: number;
  target?: number;
}

/**
 * Runs a plan: (1) each building block's largest sustainable rate by bisection, (2) per target
 * rate, the fleets that cover it at least cost, (3) the best of them simulated whole with each
 * policy, which ranks them. Every simulation is seeded and every result is collected in task
 * order, so the result is the same whatever the number of workers.
 */
export async function runPlan(plan: LoadedPlan, opts: PlanOptions = {}): Promise<PlanResult> {
  let progress: PlanProgress = { stage: 'blocks', done: 0, total: 0, simulations: 0 };
  const report = (p: Partial<PlanProgress>) => {
    progress = { ...progress, ...p };
    opts.onProgress?.(progress);
  };
  const runner: SimRunner = createSimRunner(opts.workers ?? availableParallelism(), (simulations) => report({ simulations }));
  const slos = plan.config.slo;
  const pct = (metric: 'ttft' | 'tpot') => slos.find((s) => s.metric === metric && s.class === undefined)?.attainment ?? 99;
  const percentiles = { ttft: pct('ttft'), tpot: pct('tpot') };
  const precision = opts.precision ?? plan.config.search.precision;
  const k = opts.verify ?? plan.config.search.verify;
  const share = opts.share;
  share?.bind(runner);
  const search: CapacitySearch = { runner, file: plan.file, baseDir: plan.baseDir, precision, percentiles, units: share };
  const w = plan.config.workload;
  const result: PlanResult = {
    name: plan.name,
    objective: plan.config.objective,
    precision,
    probe: { ...(w.duration !== undefined && { duration: w.duration }), ...(w.requests !== undefined && { requests: w.requests }) },
    slos: [],
    percentiles,
    blocks: [],
    targets: [],
    simulations: 0,
  };
  try {
    const blockCount = (plan.aggregated?.candidates.length ?? 0) + (plan.disaggregated ? plan.disaggregated.prefill.length + plan.disaggregated.decode.length : 0);
    report({ stage: 'blocks', done: 0, total: blockCount });
    let blocksDone = 0;
    const caps = await measureBlocks(plan, search, () => report({ done: ++blocksDone }));
    result.blocks = caps.results;
    result.slos = slos.map(sloLabel);
    // Fleets are sized from every block's capacity: other shards' blocks come first.
    if (share && share.pending.length > 0) return result;
    const none = noCapacity(plan, caps);
    if (none) {
      result.infeasible = none;
      return result;
    }
    for (const target of plan.targets) {
      const options = fleetsToVerify(plan, caps, target, k, precision);
      const t: TargetResult = { targetRate: target, fleets: options.map((o) => o.fleet), ranked: [] };
      result.targets.push(t);
      if (options.length === 0) {
        t.infeasible = boundsExplanation(plan, caps, target);
        continue;
      }
      const rows = options.reduce((a, o) => a + (o.fleet.shape === 'aggregated' ? plan.policies.aggregated.length : plan.policies.disaggregated.length), 0);
      let rowsDone = 0;
      report({ stage: 'verify', done: 0, total: rows, target });
      t.ranked = await verifyFleets(plan, search, options, target, () => report({ done: ++rowsDone }));
      if (!t.ranked.some((r) => r.meets)) {
        t.infeasible =
          `none of the ${options.length} cheapest fleets meets every SLO at ${target} req/s when simulated whole ` +
          `(the blocks were measured alone, at the edge of the SLOs; mixing types and routing change that): ` +
          `verify more of them (--verify ${k * 2})`;
      }
    }
    return result;
  } finally {
    result.simulations = share ? share.simulations : runner.simulations;
    await runner.close();
  }
}

/**
 * When no shape has blocks that sustain any rate: which target fails first on each candidate
 * (at the lowest rate tried) and the best attainment it reached anywhere.
 */
function noCapacity(plan: LoadedPlan, caps: BlockCapacities): string | undefined {
  const any = (m: Map<number, number>) => [...m.values()].some((c) => c > 0);
  const aggregatedOk = plan.aggregated !== undefined && any(caps.unified);
  const pdOk = plan.disaggregated !== undefined && any(caps.prefill) && any(caps.decode);
  if (aggregatedOk || pdOk) return undefined;
  const failed = caps.results.filter((b) => b.capacity === 0);
  const lowest = Math.min(...failed.map((b) => b.failedAt ?? Infinity));
  const byLabel = new Map(plan.config.slo.map((t) => [sloLabel(t), t]));
  const clause = (b: BlockResult) => {
    const first = b.binding[0];
    const best = b.bestAttainment[b.targets.indexOf(first)];
    return `${b.kind === 'unified' ? '' : `${b.kind} `}${b.candidate}: ${first} fails first (best attainment seen ${(best * 100).toFixed(1)}%, ${byLabel.get(first)!.attainment}% required)`;
  };
  return `no candidate meets the SLOs at any rate (down to ${lowest.toPrecision(2)} req/s): ${failed.map(clause).join('; ')}`;
}

/**
 * The fleets to simulate whole at `target`: the `k` cheapest whose block capacities cover it,
 * and the `k` cheapest that cover it within the bisection precision. A block's capacity is known
 * only to that precision, and a pool of instances can sustain a little more than its blocks'
 * sum (its queues are shared), so a fleet just short of the target by the estimate may meet it
 * when simulated. Cheapest first; each fleet once.
 */
function fleetsToVerify(plan: LoadedPlan, caps: BlockCapacities, target: number, k: number, precision: number) {
  const key = (o: FleetOption) => `${o.fleet.shape}:${o.fleet.groups.map((g) => `${g.role}/${g.candidate}/${g.count}`).join(',')}`;
  const seen = new Set<string>();
  return [...fleetOptions(plan, caps, target / (1 + precision), k), ...fleetOptions(plan, caps, target, k)]
    .filter((o) => !seen.has(key(o)) && seen.add(key(o)))
    .sort(compareOptions);
}
