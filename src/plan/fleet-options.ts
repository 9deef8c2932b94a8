import { cheapestCovers, countAlone, pdCovers, type BlockType } from './cover.js';
import type { LoadedPlan } from './load-plan.js';
import type { BlockCapacities } from './measure-blocks.js';
import type { PlanFleet } from './plan-result.js';

/** A fleet to verify, with the weight it is ranked by. */
export interface FleetOption {
  fleet: PlanFleet;
  weight: number;
  instances: number;
}

/**
 * Stage 2 of a plan: the `k` fleets that cover `target` at least weight (cost or GPUs). Aggregated
 * pools are exact integer covers over the candidates' single-instance capacities (mixed types as
 * the plan allows); each disaggregated (prefill type, decode type) pair gives the xPyD with enough
 * prefill and enough decode for the whole rate, and its neighbours with one more instance on
 * either side (see pdCovers). Both shapes compete in one ranking.
 */
export function fleetOptions(plan: LoadedPlan, caps: BlockCapacities, target: number, k: number): FleetOption[] {
  const options: FleetOption[] = [];
  const weightOf = (i: number) => (plan.config.objective === 'cost' ? plan.candidates[i].instanceCost! : plan.candidates[i].tp);
  const block = (i: number, capacity: number): BlockType => ({
    weight: weightOf(i),
    capacity,
    min: plan.candidates[i].min,
    max: plan.candidates[i].max,
  });

  if (plan.aggregated) {
    const list = plan.aggregated.candidates;
    const covers = cheapestCovers(
      list.map((i) => block(i, caps.unified.get(i) ?? 0)),
      target,
      { k, maxTypes: plan.aggregated.maxTypes },
    );
    for (const c of covers) {
      const groups = list.flatMap((i, j) =>
        c.counts[j] > 0 ? [{ candidate: plan.candidates[i].label, gpu: plan.candidates[i].gpu, tp: plan.candidates[i].tp, role: 'unified' as const, count: c.counts[j] }] : [],
      );
      options.push({ fleet: fleet(plan, 'aggregated', groups, c.capacity), weight: c.weight, instances: c.instances });
    }
  }

  if (plan.disaggregated) {
    for (const p of plan.disaggregated.prefill) {
      for (const d of plan.disaggregated.decode) {
        const capP = caps.prefill.get(p) ?? 0;
        const capD = caps.decode.get(d) ?? 0;
        for (const xy of pdCovers(block(p, capP), block(d, capD), target, p === d)) {
          const groups = [
            { candidate: plan.candidates[p].label, gpu: plan.candidates[p].gpu, tp: plan.candidates[p].tp, role: 'prefill' as const, count: xy.x },
            { candidate: plan.candidates[d].label, gpu: plan.candidates[d].gpu, tp: plan.candidates[d].tp, role: 'decode' as const, count: xy.y },
          ];
          const f = fleet(plan, 'disaggregated', groups, Math.min(xy.x * capP, xy.y * capD));
          f.xpyd = `${xy.x}P${xy.y}D`;
          options.push({ fleet: f, weight: xy.x * weightOf(p) + xy.y * weightOf(d), instances: xy.x + xy.y });
        }
      }
    }
  }

  options.sort(compareOptions);
  return options.slice(0, k);
}

/** The order fleets are verified in: lighter first, then fewer instances, then more estimated capacity. */
export function compareOptions(a: FleetOption, b: FleetOption): number {
  return a.weight - b.weight || a.instances - b.instances || b.fleet.estimatedRate - a.fleet.estimatedRate;
}

function fleet(plan: LoadedPlan, shape: PlanFleet['shape'], groups: PlanFleet['groups'], estimatedRate: number): PlanFleet {
  const byLabel = new Map(plan.candidates.map((c) => [c.label, c]));
  let cost: number | null = 0;
  for (const g of groups) {
    const c = byLabel.get(g.candidate)!.instanceCost;
    cost = cost === null || c === undefined ? null : cost + g.count * c;
  }
  return {
    shape,
    groups,
    costPerHour: cost,
    gpus: groups.reduce((a, g) => a + g.count * g.tp, 0),
    estimatedRate,
  };
}

/**
 * Why no fleet within the bounds covers `target`, with what it would take: each type alone, and
 * the capacity all candidates reach at their maximum counts.
 */
export function boundsExplanation(plan: LoadedPlan, caps: BlockCapacities, target: number): string {
  const parts: string[] = [];
  const alone = (i: number, capacity: number, role: string) => {
    const c = plan.candidates[i];
    const n = countAlone({ weight: 0, capacity, min: c.min, max: c.max }, target);
    return Number.isFinite(n)
      ? `${n} ${role}${c.label} (${capacity.toPrecision(3)} req/s each${Number.isFinite(c.max) ? `, max ${c.max}` : ''})`
      : `${c.label} ${role.trim() || 'instance'} sustains no rate`;
  };
  if (plan.aggregated) {
    const list = plan.aggregated.candidates;
    const atMax = list.reduce((a, i) => a + Math.min(plan.candidates[i].max, 1e9) * (caps.unified.get(i) ?? 0), 0);
    const sustains = Number.isFinite(atMax) && atMax < 1e12 ? `${atMax.toPrecision(3)} req/s` : 'more than that';
    const types = plan.aggregated.maxTypes < list.length ? ` (at most ${plan.aggregated.maxTypes} type${plan.aggregated.maxTypes > 1 ? 's' : ''} per pool)` : '';
    parts.push(
      `aggregated: every candidate at its maximum count sustains ${sustains} together${types}; alone it would take ${list
        .map((i) => alone(i, caps.unified.get(i) ?? 0, ''))
        .join(', or ')}`,
    );
  }
  if (plan.disaggregated) {
    const need = [
      ...plan.disaggregated.prefill.map((i) => alone(i, caps.prefill.get(i) ?? 0, 'prefill ')),
      ...plan.disaggregated.decode.map((i) => alone(i, caps.decode.get(i) ?? 0, 'decode ')),
    ];
    parts.push(`disaggregated: it would take ${need.join('; ')}`);
  }
  return `${target} req/s needs more instances than the bounds allow: ${parts.join('. ')}`;
}
