/**
 * `sim plan` end to end on instances whose capacities are known by hand (see
 * max-rate-sim.test.ts): one H100-SXM sustains 10 req/s, one L40S 5 req/s, under TTFT <= 50 ms
 * for half the requests. Also the infeasible plans and the bad input.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { PlanResult } from '../../src/plan/plan-result.js';
import { simPlan } from './plan-cli.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'routesim-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const table = { table: join(FIXTURES, 'constant-steps.csv') };
const basePlan = {
  name: 'hand',
  model: 'Llama-3.1-8B',
  workload: {
    duration: 60,
    sources: [{ class: 'fixed', dataset: join(FIXTURES, 'fixed-lengths.yaml'), rate: 10, arrival: 'constant' }],
  },
  targetRate: 22,
  slo: [{ metric: 'ttft', maxMs: 50, attainment: 50 }],
  candidates: [
    // Hand capacities: no front end, synchronous scheduling.
    { gpu: 'H100-SXM', costPerHour: 3, engine: { maxNumSeqs: 1, asyncScheduling: false }, timing: table, frontend: { requestMs: 0, responseMs: 0 } },
    { gpu: 'L40S', costPerHour: 1, engine: { maxNumSeqs: 1, asyncScheduling: false }, timing: table, frontend: { requestMs: 0, responseMs: 0 } },
  ],
  search: { precision: 0.01 },
};

function planFile(name: string, plan: object | string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, typeof plan === 'string' ? plan : stringify(plan));
  return file;
}

const run = (file: string, ...flags: string[]) => simPlan(file, '--out', join(dir, 'results'), ...flags);

describe('sim plan', () => {
  it('measures the blocks, covers the target at least cost and verifies the cheapest fleets', async () => {
    const r = await run(planFile('hand', basePlan), '--workers', '0', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as PlanResult & { pareto: string };
    const cap = Object.fromEntries(out.blocks.map((b) => [b.candidate, b.capacity]));
    expect(cap['H100-SXM']).toBeGreaterThanOrEqual(9.9);
    expect(cap['H100-SXM']).toBeLessThanOrEqual(10.02);
    expect(cap.L40S).toBeGreaterThanOrEqual(4.95);
    expect(cap.L40S).toBeLessThanOrEqual(5.01);
    // 22 req/s by hand: 5 L40S = $5, 1 H100 + 3 L40S = $6, 2 H100 + 1 L40S = $7, 3 H100 = $9.
    const t = out.targets[0];
    expect(t.fleets.map((f) => f.costPerHour)).toEqual([5, 6, 7, 9]);
    expect(t.ranked[0].meets).toBe(true);
    expect(t.ranked[0].fleet.groups).toEqual([{ candidate: 'L40S', gpu: 'L40S', tp: 1, role: 'unified', count: 5 }]);
    // 5 L40S sustain 25 req/s: headroom 25/22, measured within the 1 % precision.
    expect(t.ranked[0].headroom).toBeGreaterThan((25 / 22) * 0.98);
    expect(t.ranked[0].headroom).toBeLessThanOrEqual((25 / 22) * 1.002);
    expect(t.ranked[0].binding).toEqual(['TTFT<=50ms@50%']);
    // plan.json names its plot by the file name beside it, wherever the results root is.
    expect(out.pareto).toBe('pareto.svg');
    const svg = readFileSync(join(dir, 'results', 'hand', out.pareto), 'utf8');
    expect(svg).toContain('Sustainable rate');
    // The recommended fleet is ringed, in the legend and named on hover; every point has a title.
    expect(svg).toContain('recommended for a target');
    expect(svg).toMatch(/<title>5x L40S [^<]*\$5\/h, [^<]*best at 22 req\/s<\/title>/);
    expect(svg.match(/<title>/g)!.length).toBeGreaterThanOrEqual(4);
  });

  it('also verifies fleets short of the target by less than the precision (a pool can sustain a little more than its blocks)', async () => {
    const r = await run(planFile('short', { ...basePlan, name: 'short', targetRate: 20.1 }), '--workers', '0', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as PlanResult;
    // Blocks by hand: L40S 5, H100 10 req/s. Covering 20.1: 5 L40S ($5), 1 H100 + 3 L40S ($6), ...;
    // within 1 % of it (>= 19.9): 4 L40S ($4), 1 H100 + 2 L40S ($5), 2 H100 ($6) too.
    const fleets = out.targets[0].fleets.map((f) => f.groups.map((g) => `${g.count}x ${g.candidate}`).join(' + '));
    expect(fleets.slice(0, 3)).toEqual(['4x L40S', '1x H100-SXM + 2x L40S', '5x L40S']);
    expect(fleets).toContain('2x H100-SXM');
    expect(new Set(fleets).size).toBe(fleets.length);
  });

  it('gives the same result on worker threads as on the main thread', async () => {
    const file = planFile('same', { ...basePlan, name: 'same', search: { precision: 0.05, verify: 2 } });
    const a = await run(file, '--workers', '0', '--json');
    const b = await run(file, '--workers', '2', '--json');
    expect(a.code).toBe(0);
    expect(b.stdout).toBe(a.stdout);
  });

  it('prints the ranked table', async () => {
    const r = await run(planFile('table', { ...basePlan, name: 'table', search: { precision: 0.05, verify: 1 } }), '--workers', '0');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Best at 22 req\/s: 5x L40S with least-request, \$5\.00\/h/);
    expect(r.stdout).toContain('headroom');
    expect(r.stdout).not.toMatch(/At the edge/);
  });

  it('ranking by GPUs, an equal count goes to the cheaper fleet, not the one with more headroom', async () => {
    // 4 req/s: one L40S ($1, 5 req/s) or one H100 ($3, 10 req/s), one GPU each.
    const r = await run(planFile('gpus', { ...basePlan, name: 'gpus', objective: 'gpus', targetRate: 4, search: { precision: 0.05, verify: 2 } }), '--workers', '0', '--json');
    expect(r.code).toBe(0);
    const best = (JSON.parse(r.stdout) as PlanResult).targets[0].ranked[0];
    expect(best.meets).toBe(true);
    expect(best.fleet.groups.map((g) => `${g.count}x ${g.candidate}`)).toEqual(['1x L40S']);
  });

  it('says when the best fleet sustains the target only within the precision', async () => {
    // 5 L40S sustain about 25 req/s by hand: at 24 their headroom is inside a 5 % precision.
    const r = await run(planFile('edge', { ...basePlan, name: 'edge', targetRate: 24, search: { precision: 0.05 } }), '--workers', '0');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Best at 24 req\/s: 5x L40S with least-request/);
    expect(r.stdout).toMatch(/\n {2}At the edge: its headroom \(1\.0\dx\) is within the 5% precision, so another seed may miss/);
  });
});

describe('sim plan: infeasible plans (exit 1)', () => {
  it('no candidate meets the SLOs at any rate: names the constraint that fails first and the best attainment', async () => {
    // A request takes at least one step (10 or 20 ms) to its first token: TTFT <= 5 ms never holds.
    const plan = { ...basePlan, name: 'never', slo: [{ metric: 'ttft', maxMs: 5, attainment: 50 }] };
    const r = await run(planFile('never', plan), '--workers', '0');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('INFEASIBLE: no candidate meets the SLOs at any rate');
    expect(r.stdout).toContain('H100-SXM: TTFT<=5ms@50% fails first (best attainment seen 0.0%, 50% required)');
    expect(r.stdout).toContain('L40S: TTFT<=5ms@50% fails first');
  });

  it('a target beyond the bounds: says how many instances it would take', async () => {
    const plan = {
      ...basePlan,
      name: 'bounds',
      targetRate: 100,
      candidates: [
        { ...basePlan.candidates[0], max: 3 },
        { ...basePlan.candidates[1], max: 4 },
      ],
      search: { precision: 0.05 },
    };
    const r = await run(planFile('bounds', plan), '--workers', '0');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/100 req\/s needs more instances than the bounds allow/);
    // 3 x 10 + 4 x 5 = 50 req/s at most; alone: 10 H100-SXM or 20 L40S.
    expect(r.stdout).toMatch(/sustains (4\d\.\d|50\.0) req\/s together/);
    expect(r.stdout).toMatch(/10 H100-SXM \(\d+\.\d+ req\/s each, max 3\), or 2\d L40S \(\d\.\d+ req\/s each, max 4\)/);
  });
});

describe('sim plan: bad input (exit 2, one line)', () => {
  const bad = async (name: string, plan: object | string) => {
    const r = await run(planFile(name, plan), '--workers', '0');
    expect(r.thrown).toBeUndefined();
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    return r.stderr.trim();
  };

  it('a candidate without a cost when the plan ranks by cost with its own prices', async () => {
    const { costPerHour: _, ...noCost } = basePlan.candidates[1];
    const msg = await bad('nocost', { ...basePlan, costs: 'plan', candidates: [basePlan.candidates[0], noCost] });
    expect(msg).toMatch(/nocost\.yaml: candidates\.1\.costPerHour \(line \d+\): no cost per hour for L40S/);
  });

  it('a price of 0 cannot be ranked by cost (but can by GPUs)', async () => {
    const zero = { ...basePlan, candidates: [basePlan.candidates[0], { ...basePlan.candidates[1], costPerHour: 0 }] };
    expect(await bad('zero', zero)).toMatch(/candidates\.1\.costPerHour .*no cost for L40S \(its price is 0\)/);
    const r = await run(planFile('gpus', { ...zero, name: 'gpus', objective: 'gpus', search: { verify: 1 } }), '--workers', '0', '--json');
    expect(r.code).toBe(0);
  });

  it('schema errors name the file, the field and its line', async () => {
    expect(await bad('unknown', { ...basePlan, slo: [{ metric: 'ttft', maxMs: 50, percentile: 99 }] })).toMatch(
      /unknown\.yaml: slo\.0\.percentile \(line \d+\): unknown field "percentile"/,
    );
    expect(await bad('gpu', { ...basePlan, candidates: [{ gpu: 'B300' }] })).toMatch(/gpu\.yaml: candidates\.0\.gpu \(line \d+\): .*B300/);
    expect(await bad('minmax', { ...basePlan, candidates: [{ gpu: 'L40S', min: 4, max: 2 }] })).toMatch(/candidates\.0\.min .*min must not exceed max/);
    expect(await bad('yaml', 'name: x\nslo: [\n')).toMatch(/yaml\.yaml: line \d+: invalid YAML/);
    // The name becomes a directory under the results root: not one that climbs out of it.
    expect(await bad('dots', { ...basePlan, name: '..' })).toMatch(/dots\.yaml: name \(line 1\): may not be "\." or "\.\."/);
    expect(await bad('class', { ...basePlan, slo: [{ metric: 'ttft', maxMs: 50, class: 'chat' }] })).toMatch(
      /class\.yaml: slo\.0\.class \(line \d+\): no workload source has class "chat"/,
    );
  });

  it('policies of the wrong kind, unknown models and shapes naming no candidate', async () => {
    expect(await bad('pdpol', { ...basePlan, policies: { aggregated: ['pd'] } })).toMatch(/policies\.aggregated\.0 .*prefill\/decode policy/);
    expect(await bad('model', { ...basePlan, model: 'GPT-9' })).toMatch(/model\.yaml: model \(line \d+\)/);
    expect(await bad('shape', { ...basePlan, shapes: { aggregated: { gpus: ['H20'] } } })).toMatch(/shapes\.aggregated\.gpus\.0 .*H20 is not among the candidates/);
    expect(await bad('unused', { ...basePlan, policies: { disaggregated: ['pd'] } })).toMatch(/unused\.yaml: policies\.disaggregated \(line \d+\): the plan searches no disaggregated fleets/);
    expect(await bad('twice', { ...basePlan, targetRate: [20, 30, 20] })).toMatch(/twice\.yaml: targetRate\.2 \(line \d+\): 20 req\/s is listed twice/);
    expect(await bad('pdslo', { ...basePlan, shapes: { disaggregated: { prefill: ['H100'], decode: ['L40S'] } } })).toMatch(/slo .*disaggregated shapes need a tpot target/);
  });

  it('bad flags', async () => {
    const file = planFile('flags', basePlan);
    expect((await run(file, '--workers', '-1')).code).toBe(2);
    expect((await run(file, '--verify', '0')).code).toBe(2);
  });
});
