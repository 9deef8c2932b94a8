/**
 * `sim plan --shard k/N`: a disaggregated plan has three stages (aggregated and prefill blocks,
 * decode blocks sized behind the prefill capacities, verified fleets). Four shards, run in rounds
 * over one store, must end with the plan.json of one machine, byte for byte; a shard with work of
 * other shards outstanding says which, and writes no plan. --resume redoes only what is missing.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, tempDir } from '../experiment/fixtures.js';
import { simPlan } from './plan-cli.js';

afterAll(cleanup);

const PLAN = readFileSync(resolve(__dirname, '../../plans/disaggregated.yaml'), 'utf8')
  .replace('name: plan-disaggregated', 'name: pd-shards')
  .replace(/duration: 120 /, 'duration: 10 ')
  .replace('verify: 5', 'verify: 1');

describe('sim plan --shard', () => {
  it('shards of a three-stage plan, run in rounds, give the one-machine plan.json', { timeout: 180_000 }, async () => {
    const dir = tempDir();
    const file = join(dir, 'pd.yaml');
    writeFileSync(file, PLAN);
    const one = await simPlan(file, '--workers', '0', '--no-plot', '--out', join(dir, 'one'), '--json');
    expect(one.code).toBe(0);
    const want = readFileSync(join(dir, 'one', 'pd-shards', 'plan.json'), 'utf8');

    const out = join(dir, 'sharded');
    const plan = join(out, 'pd-shards', 'plan.json');
    const first = await simPlan(file, '--shard', '1/4', '--workers', '0', '--no-plot', '--out', out);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/^shard 1\/4: ran \d+ simulations into .*; waiting for 3 units of work of shards 2, 3, 4 \(unified H20; prefill H800; prefill H20\)/);
    expect(existsSync(plan)).toBe(false);
    for (let round = 0; round < 3 && !existsSync(plan); round++) {
      for (let k = round === 0 ? 2 : 1; k <= 4; k++) {
        const r = await simPlan(file, '--shard', `${k}/4`, '--workers', '0', '--no-plot', '--out', out, '--json');
        expect(r.code).toBe(0);
      }
    }
    expect(readFileSync(plan, 'utf8')).toBe(want);
    // Decode blocks were measured, so all three stages ran sharded.
    expect((JSON.parse(want) as { blocks: { kind: string }[] }).blocks.map((b) => b.kind)).toContain('decode');

    // --resume after losing half the simulations (a killed run): redoes those, same plan.
    const sims = join(out, 'pd-shards', 'sims');
    const files = readdirSync(sims).sort();
    for (const f of files.filter((_, i) => i % 2 === 0)) rmSync(join(sims, f));
    // and one damaged: simulated again, not a crash.
    writeFileSync(join(sims, files[1]), '{"label": ');
    // A shard that cannot finish the plan moves the earlier plan.json aside: nothing stale looks done.
    const partial = await simPlan(file, '--shard', '1/4', '--workers', '0', '--no-plot', '--out', out);
    expect(partial.code).toBe(0);
    expect(partial.stderr).toMatch(/the earlier plan\.json waits in .*previous until this plan is done/);
    expect(existsSync(plan)).toBe(false);
    expect(readFileSync(join(out, 'pd-shards', 'previous', 'plan.json'), 'utf8')).toBe(want);
    const resumed = await simPlan(file, '--resume', '--workers', '0', '--no-plot', '--out', out, '--json');
    expect(resumed.code).toBe(0);
    expect(readFileSync(plan, 'utf8')).toBe(want);
    expect(readdirSync(sims).sort()).toEqual(files);
    expect(existsSync(join(out, 'pd-shards', 'previous'))).toBe(false);
  });
});
