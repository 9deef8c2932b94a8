import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, tempDir, write } from '../experiment/fixtures.js';
import { sim } from './harness.js';

afterAll(cleanup);

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/** The shipped file with its profiles path made absolute, a shorter run and a smaller sweep. */
function variant(file: string): string {
  const text = readFileSync(resolve(ROOT, 'experiments', file), 'utf8');
  const profiles = /profiles: \.\.\/(\S+)/.exec(text)![1];
  return (
    text
      .replace(/profiles: \.\.\/\S+/, `profiles: ${resolve(ROOT, profiles)}`)
      .replace('duration: 600', 'duration: 180')
      .split('\nsweep:')[0] + '\nsweep:\n  router.policy: [random, slo]\n'
  );
}

interface PolicyResult {
  slo: number;
  /** P99 latency per token (TPAT), ms: the experiment's target is <= 50. */
  tpatP99: number;
  kinds: Record<string, number>;
}

async function attainment(file: string): Promise<Record<string, PolicyResult>> {
  const dir = tempDir();
  const r = await sim('run', write(dir, 'exp.yaml', variant(file)), '--json', '--out', tempDir(), '--no-report', '--workers', '1');
  expect(r.code, r.stderr).toBe(0);
  const out: Record<string, PolicyResult> = {};
  for (const line of r.stdout.trim().split('\n')) {
    const p = JSON.parse(line);
    out[p.policy] = { slo: p.metrics.slo_attainment, tpatP99: p.metrics.tpat_ms.p99, kinds: p.rejections_by_kind };
  }
  return out;
}

describe('aibrix-heterogeneous shows what its comment claims', () => {
  it('with TPAT profiles slo meets the per-token target where random does not; with TPOT profiles slo rejects most', async () => {
    const tpat = await attainment('aibrix-heterogeneous.yaml');
    expect(tpat.slo.slo).toBeGreaterThan(0.99);
    expect(tpat.slo.tpatP99).toBeLessThanOrEqual(50);
    expect(tpat.random.tpatP99).toBeGreaterThan(50);
    const tpot = await attainment('aibrix-heterogeneous-tpot.yaml');
    expect(tpot.slo.slo).toBeLessThan(0.2);
    expect(tpot.slo.kinds['slo-infeasible']).toBeGreaterThan(0);
  });
});
