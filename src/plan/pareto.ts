import type { CostRatePoint } from '../report/plot-specs.js';
import { countAlone } from './cover.js';
import type { LoadedPlan } from './load-plan.js';
import type { PlanResult } from './plan-result.js';
import { describeFleet } from './verify-fleets.js';

/**
 * The fleets of a plan on the cost/rate plane: every verified fleet at the rate it sustained when
 * simulated whole, every fleet considered for verification and every single-type pool up to the
 * largest target at the rate its blocks add up to. `pareto` marks the points that no cheaper (or
 * equally cheap) point beats on rate.
 */
export function paretoPoints(plan: LoadedPlan, result: PlanResult): CostRatePoint[] {
  const byCost = plan.config.objective === 'cost';
  const points: CostRatePoint[] = [];
  const seen = new Map<string, CostRatePoint>();
  const add = (p: Omit<CostRatePoint, 'pareto' | 'hover' | 'bestFor'>, bestFor?: number) => {
    const key = `${p.label}|${p.basis}`;
    const known = seen.get(key);
    if (known) {
      if (bestFor !== undefined) known.bestFor = known.bestFor ? `${known.bestFor}, ${bestFor}` : `${bestFor}`;
      return;
    }
    if (!(p.rate > 0)) return;
    const point: CostRatePoint = { ...p, cost: round(p.cost), rate: round(p.rate), pareto: false, hover: '', ...(bestFor !== undefined && { bestFor: `${bestFor}` }) };
    seen.set(key, point);
    points.push(point);
  };
  for (const t of result.targets) {
    // The plan's answer for this target: the first ranked fleet, when it meets every SLO.
    const best = t.ranked[0]?.meets ? t.ranked[0] : undefined;
    for (const r of t.ranked) {
      add({
        label: `${describeFleet(r.fleet)} ${r.policy}`,
        cost: byCost ? r.fleet.costPerHour! : r.fleet.gpus,
        rate: r.sustainableRate,
        basis: 'simulated whole',
        shape: r.fleet.shape,
      }, r === best ? t.targetRate : undefined);
    }
    for (const f of t.fleets) {
      add({ label: describeFleet(f), cost: byCost ? f.costPerHour! : f.gpus, rate: f.estimatedRate, basis: 'estimated from blocks', shape: f.shape });
    }
  }
  const largest = Math.max(...plan.targets);
  const unified = new Map(result.blocks.filter((b) => b.kind === 'unified').map((b) => [b.candidate, b.capacity]));
  for (const c of plan.candidates) {
    const capacity = unified.get(c.label) ?? 0;
    if (!(capacity > 0)) continue;
    const upTo = Math.min(c.max, countAlone({ weight: 0, capacity, min: c.min, max: c.max }, largest));
    for (let n = Math.max(1, c.min); n <= upTo; n++) {
      add({
        label: `${n}x ${c.label}`,
        cost: byCost ? n * c.instanceCost! : n * c.tp,
        rate: n * capacity,
        basis: 'estimated from blocks',
        shape: 'aggregated',
      });
    }
  }
  // Pareto: walk by cost, keeping a point when it sustains more than everything at most as dear.
  const order = points.map((_, i) => i).sort((a, b) => points[a].cost - points[b].cost || points[b].rate - points[a].rate);
  let best = -Infinity;
  for (const i of order) {
    if (points[i].rate > best) {
      points[i].pareto = true;
      best = points[i].rate;
    }
  }
  const price = (cost: number) => (byCost ? `$${cost}/h` : `${cost} GPUs`);
  for (const p of points) {
    const best = p.bestFor ? `; best at ${p.bestFor} req/s` : '';
    p.hover = `${p.label}: ${price(p.cost)}, ${p.rate} req/s (${p.basis}${p.pareto ? ', on the frontier' : ''})${best}`;
  }
  return points;
}

/** Four decimals: enough for a plot and its tooltips, without float noise (6.6000000000000005). */
function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
