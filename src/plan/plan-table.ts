import { formatTable } from '../report/table.js';
import type { LoadedPlan } from './load-plan.js';
import type { BlockResult, PlanResult, TargetResult, VerifiedFleet } from './plan-result.js';
import { describeFleet } from './verify-fleets.js';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const rate = (x: number) => x.toPrecision(3);

/** What `sim plan` prints: the blocks, then per target rate the ranked fleets and the verdict. */
export function formatPlan(plan: LoadedPlan, r: PlanResult): string {
  const length = probeLength(r.probe);
  const out: string[] = [
    `Plan ${r.name}: ${plan.config.model}, SLOs ${r.slos.join(', ')} (a fleet passes when, for every SLO, the share of requests meeting it is at least the required attainment)`,
    '',
    `Building blocks: largest rate one instance sustains under the SLOs it answers for (bisection within ${r.precision * 100}%, ${length} per simulation)`,
    formatBlocks(plan, r.blocks),
  ];
  if (r.infeasible) {
    out.push('', `INFEASIBLE: ${r.infeasible}`);
  }
  for (const t of r.targets) out.push('', formatTarget(plan, r, t));
  out.push('', `${r.simulations} simulations.`);
  return out.join('\n');
}

/** How long each simulation runs: the workload's duration, request count, or both (whichever ends first). */
export function probeLength(probe: PlanResult['probe']): string {
  const { duration, requests } = probe;
  if (duration !== undefined && requests !== undefined) return `${duration} s of arrivals or ${requests} requests, whichever ends first,`;
  if (duration !== undefined) return `${duration} s of arrivals`;
  if (requests !== undefined) return `${requests} requests`;
  return "the workload's own length";
}

function formatBlocks(plan: LoadedPlan, blocks: BlockResult[]): string {
  const cost = new Map(plan.candidates.map((c) => [c.label, c.instanceCost]));
  return formatTable(blocks, [
    { header: 'block', value: (b) => (b.kind === 'unified' ? 'instance' : b.kind) },
    { header: 'GPU', value: (b) => b.candidate },
    { header: 'req/s', value: (b) => b.capacity, digits: 2 },
    { header: '$/h', value: (b) => cost.get(b.candidate) ?? null, digits: 2 },
    { header: '$/h per req/s', value: (b) => (b.capacity > 0 ? (cost.get(b.candidate) ?? NaN) / b.capacity : null), digits: 3 },
    { header: 'fails first', value: (b) => b.binding[0] ?? `none (up to ${b.failedAt ?? 'limit'})` },
    { header: 'at req/s', value: (b) => b.failedAt, digits: 2 },
    { header: 'sims', value: (b) => b.simulations, digits: 0 },
  ]);
}

function formatTarget(plan: LoadedPlan, r: PlanResult, t: TargetResult): string {
  if (t.ranked.length === 0) return `Target ${t.targetRate} req/s\nINFEASIBLE: ${t.infeasible}`;
  const head = `Target ${t.targetRate} req/s: ${t.fleets.length} cheapest fleet${t.fleets.length === 1 ? '' : 's'} from the blocks, each simulated whole with each policy; headroom = largest rate meeting every SLO / target, measured (bisection from the target, within ${r.precision * 100}%)`;
  const slos = plan.config.slo;
  const table = formatTable(
    t.ranked.map((row, i) => ({ row, rank: i + 1 })),
    [
      { header: '#', value: (x) => x.rank, digits: 0 },
      { header: plan.config.objective === 'cost' ? '$/h' : 'GPUs', value: (x) => (plan.config.objective === 'cost' ? x.row.fleet.costPerHour : x.row.fleet.gpus), digits: plan.config.objective === 'cost' ? 2 : 0 },
      { header: 'GPUs by type and role', value: (x) => describeFleet(x.row.fleet) },
      { header: 'xPyD', value: (x) => x.row.fleet.xpyd ?? 'agg' },
      { header: 'policy', value: (x) => x.row.policy },
      { header: 'meets', value: (x) => (x.row.meets ? 'yes' : 'NO') },
      ...slos.map((s, i) => ({
        header: `${s.metric.toUpperCase()}${s.class ? ` ${s.class}` : ''} att`,
        value: (x: { row: VerifiedFleet }) => pct(x.row.slos[i].attainment),
      })),
      { header: `p${r.percentiles.ttft} TTFT ms`, value: (x) => x.row.ttftMs, digits: 0 },
      { header: `p${r.percentiles.tpot} TPOT ms`, value: (x) => x.row.tpotMs, digits: 1 },
      { header: 'headroom', value: (x) => headroom(x.row, plan.config.search.maxHeadroom) },
      { header: 'binding', value: (x) => x.row.binding[0] ?? `none up to ${plan.config.search.maxHeadroom}x` },
    ],
  );
  const lines = [head, table];
  const best = t.ranked[0];
  if (best.meets) {
    const price = best.fleet.costPerHour === null ? `${best.fleet.gpus} GPUs` : `$${best.fleet.costPerHour.toFixed(2)}/h`;
    lines.push(`Best at ${t.targetRate} req/s: ${describeFleet(best.fleet)} with ${best.policy}, ${price}, sustains ${rate(best.sustainableRate)} req/s.`);
    // Within the bisection precision of the target, one seed's sample decides: say so.
    if (!best.sustainableCapped && best.headroom < 1 + r.precision) {
      lines.push(
        `  At the edge: its headroom (${best.headroom.toFixed(2)}x) is within the ${+(r.precision * 100).toFixed(2)}% precision, so another seed may miss; check it with \`sim run --replicates 5\` or plan for a little more.`,
      );
    }
  }
  if (t.infeasible) lines.push(`INFEASIBLE: ${t.infeasible}`);
  return lines.join('\n');
}

function headroom(v: VerifiedFleet, cap: number): string {
  if (v.sustainableCapped) return `>=${cap.toFixed(2)}x`;
  if (v.sustainableRate === 0) return '<0.50x';
  return `${v.headroom.toFixed(2)}x`;
}
