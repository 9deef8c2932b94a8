/**
 * AIBrix's `slo` on a prefill/decode pool: accepted, and run as AIBrix runs it there (the SLO
 * router ignores pod roles; each request is served whole by one pod, grouped into deployments by
 * GPU type here). Checked end to end through runPoint.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadExperiment, runPoint } from '../../src/experiment/index.js';
import { cleanup, tempDir, write } from '../experiment/fixtures.js';

afterAll(cleanup);

const yaml = (policy: string, extra = '') => `name: slo-on-pd
seed: 2
model: Llama-3.1-8B
fleet:
  - {gpu: H100-SXM, count: 1, role: prefill}
  - {gpu: A100-80GB, count: 2, role: decode}
workload:
  requests: 60
  sources:
    - {class: chat, dataset: sharegpt, rate: 6}
router:
  policy: ${policy}
${extra}`;

async function run(text: string) {
  const dir = tempDir();
  const exp = loadExperiment(write(dir, 'e.yaml', text));
  return { dir, r: await runPoint(exp, exp.points[0]) };
}

describe('slo on a prefill/decode pool (AIBrix behaviour)', () => {
  it('without profiles: FIFO + least-request over every pod, prefill and decode alike; whole requests, no KV transfer', async () => {
    const { r } = await run(yaml('slo'));
    expect(r.completed).toBe(60);
    expect(r.summary.pd ?? null).toBeNull(); // nothing was disaggregated
    expect(r.summary.instances.map((x) => x.prefills)).toEqual([0, 0, 0]);
    const served = r.summary.instances.map((x) => x.served);
    expect(served.reduce((a, b) => a + b, 0)).toBe(60);
    expect(served.every((n) => n > 0)).toBe(true); // the prefill pod serves requests too
    expect(r.warnings.some((w) => /ignores roles/.test(w))).toBe(true);
    expect(r.warnings.some((w) => /FIFO/.test(w))).toBe(true);
  });

  it('with a profile for one deployment only: the other deployment (here the prefill pods) is skipped', async () => {
    const dir = tempDir();
    const profile = JSON.parse(readFileSync(join(__dirname, '../routing/fixtures/example-profile-a.json'), 'utf8'));
    profile.gpu = 'A100-80GB';
    write(dir, 'a100.json', JSON.stringify(profile));
    const { r } = await run(yaml('slo-least-load', `  profiles: ${dir}\n`));
    expect(r.completed).toBe(60);
    const byRole = (role: string) => r.summary.instances.filter((x) => x.role === role).reduce((a, x) => a + x.served, 0);
    expect(byRole('prefill')).toBe(0);
    expect(byRole('decode')).toBe(60);
  });

  it('other unified policies stay an error on a PD fleet', async () => {
    await expect(run(yaml('least-request'))).rejects.toThrow(/must be a PD policy .* or AIBrix's slo family/);
  });
});
