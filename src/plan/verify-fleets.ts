import type { FleetEntry } from '../experiment/index.js';
import type { CapacitySearch } from './block-capacity.js';
import { searchCapacity } from './block-capacity.js';
import type { FleetOption } from './fleet-options.js';
import type { LoadedPlan } from './load-plan.js';
import type { PlanFleet, VerifiedFleet } from './plan-result.js';
import { fleetConfig, type Router } from './probe-configs.js';
import { failingSlos, sloLabel } from './slo-target.js';

/** Bracketing factor around the target: fleets sized to it usually sustain 1-2x it. */
const STEP = 1.25;

/**
 * Stage 3 of a plan: every fleet simulated whole with every policy of its shape. The first probe
 * is the target rate itself (the verdict); the search then brackets and bisects the fleet's own
 * largest sustainable rate (up to maxHeadroom x target, down to half of it), which gives the
 * headroom and the SLO that fails first as the rate grows.
 */
export async function verifyFleets(
  plan: LoadedPlan,
  search: CapacitySearch,
  options: FleetOption[],
  target: number,
  onRowDone: () => void,
): Promise<VerifiedFleet[]> {
  const slos = plan.config.slo;
  const jobs = options.flatMap((o) => {
    const routers = o.fleet.shape === 'aggregated' ? plan.policies.aggregated : plan.policies.disaggregated;
    return routers.map(async (r): Promise<VerifiedFleet> => {
      const entries = fleetEntries(plan, o.fleet);
      const label = `${describeFleet(o.fleet)} ${policyLabel(r)}`;
      const result = await searchCapacity({ ...search, start: target, step: STEP, minRate: target / 2, maxRate: target * plan.config.search.maxHeadroom }, label, slos, (rate) =>
        fleetConfig(plan.probeBase, entries, r, rate),
      );
      onRowDone();
      const atTarget = result.probes[0];
      const failing = result.probes.find((p) => p.rate === result.failedAt);
      return {
        fleet: o.fleet,
        policy: policyLabel(r),
        meets: atTarget.ok,
        slos: slos.map((s, i) => ({ target: sloLabel(s), attainment: atTarget.result.slos[i].attainment, pMs: atTarget.result.slos[i].pMs, met: atTarget.result.slos[i].met })),
        ttftMs: atTarget.result.ttftMs,
        tpotMs: atTarget.result.tpotMs,
        completed: atTarget.result.completed,
        rejected: atTarget.result.rejected,
        sustainableRate: result.rate,
        sustainableCapped: !Number.isFinite(result.failedAt),
        headroom: result.rate / target,
        binding: failing ? failingSlos(slos, failing.result.slos).map((i) => sloLabel(slos[i])) : [],
        simulations: result.probes.length,
      };
    });
  });
  const rows = await Promise.all(jobs);
  const weight = (f: PlanFleet) => (plan.config.objective === 'cost' ? f.costPerHour! : f.gpus);
  // Ranking by GPUs, equal counts go to the cheaper fleet where both have prices.
  const cost = (f: PlanFleet) => (plan.config.objective === 'gpus' ? (f.costPerHour ?? 0) : 0);
  // Stable: equal rows keep the fleets' objective order and the plan's policy order.
  return rows
    .map((row, i) => ({ row, i }))
    .sort(
      (a, b) =>
        Number(b.row.meets) - Number(a.row.meets) ||
        weight(a.row.fleet) - weight(b.row.fleet) ||
        cost(a.row.fleet) - cost(b.row.fleet) ||
        b.row.headroom - a.row.headroom ||
        a.i - b.i,
    )
    .map((x) => x.row);
}

/** The fleet as experiment entries, one per group. */
export function fleetEntries(plan: LoadedPlan, f: PlanFleet): FleetEntry[] {
  return f.groups.map((g) => {
    const c = plan.candidates.find((x) => x.label === g.candidate)!;
    return { ...c.entry, count: g.count, role: g.role };
  });
}

/** GPUs by type and role: "2x H100-SXM + 1x L40S", or "P 2x H800 | D 3x H20". */
export function describeFleet(f: PlanFleet): string {
  const part = (g: PlanFleet['groups'][number]) => `${g.count}x ${g.candidate}`;
  if (f.shape === 'aggregated') return f.groups.map(part).join(' + ');
  const role = (r: string) => f.groups.filter((g) => g.role === r).map(part).join(' + ');
  return `P ${role('prefill')} | D ${role('decode')}`;
}

export function policyLabel(r: Router): string {
  const opts = r.options && Object.keys(r.options).length > 0 ? ` ${JSON.stringify(r.options)}` : '';
  return `${r.policy}${r.mode === 'pull' ? ' (pull)' : ''}${opts}`;
}
