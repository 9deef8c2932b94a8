import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lines, sim } from '../cli/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'routesim-routing-'));

function experiment(name: string, router: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      'model: Llama-3.1-8B',
      'fleet: [{gpu: H100-SXM, count: 2}]',
      'workload: {requests: 20, sources: [{class: c, dataset: sharegpt, rate: 5}]}',
      `router: ${router}`,
    ].join('\n'),
  );
  return file;
}

async function expectBadInput(file: string, pattern: RegExp): Promise<void> {
  const r = await sim('run', file, '--out', join(dir, 'results'), '--no-report', '--workers', '1');
  expect(r.thrown).toBeUndefined();
  expect(r.code).toBe(2);
  expect(lines(r.stderr)).toHaveLength(1);
  expect(r.stderr).toContain(file);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('routing configuration errors', () => {
  it('an unknown policy lists the known ones', async () => {
    await expectBadInput(experiment('unknown', '{policy: least-requests}'), /unknown routing policy "least-requests".*least-request/);
  });

  it('malformed weights in a multi-strategy string', async () => {
    await expectBadInput(experiment('weights', '{policy: "least-request:x,prefix-cache"}'), /weight/i);
  });

  it('a profile that is not in AIBrix schema names the field', async () => {
    const profiles = join(dir, 'profiles');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(profiles, { recursive: true });
    writeFileSync(join(profiles, 'h100.json'), '{"gpu": "H100-SXM", "cost": 1.0, "tputs": [[1.0]]}');
    await expectBadInput(experiment('profile', `{policy: slo, profiles: ${profiles}}`), /indexes/);
  });

  it('a custom policy module without the interface says what is missing', async () => {
    const mod = join(dir, 'no-select.mjs');
    writeFileSync(mod, 'export default () => ({ name: "mine" });\n');
    await expectBadInput(experiment('module', `{policy: ${mod}}`), /select/);
  });
});

describe('custom policy modules', () => {
  it('a module exporting a factory routes the run', async () => {
    const mod = join(dir, 'first.mjs');
    writeFileSync(mod, 'export default () => ({ name: "first", select: (req, endpoints) => endpoints[0] });\n');
    const r = await sim('run', experiment('custom', `{policy: ${mod}}`), '--out', join(dir, 'results'), '--json', '--no-report', '--workers', '1');
    expect(r.code).toBe(0);
    expect(JSON.parse(lines(r.stdout)[0]).completed).toBe(20);
  });

  it('a TypeScript module works too (transpiled on load), with its relative imports', async () => {
    writeFileSync(join(dir, 'pick-last.ts'), 'export const last = <T>(xs: readonly T[]): T => xs[xs.length - 1];\n');
    const mod = join(dir, 'typed.ts');
    writeFileSync(
      mod,
      [
        "import { last } from './pick-last.ts';",
        'interface View { id: string }',
        'export default (): { name: string; select(req: unknown, eps: readonly View[]): View } => ({ name: "typed", select: (_r, eps) => last(eps) });',
      ].join('\n'),
    );
    const r = await sim('run', experiment('typed', `{policy: ${mod}}`), '--out', join(dir, 'results'), '--json', '--no-report', '--workers', '1');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(lines(r.stdout)[0]).completed).toBe(20);
  });

  it('a policy that throws fails its run with the policy name and the request id', async () => {
    const mod = join(dir, 'throws.mjs');
    writeFileSync(
      mod,
      'export default () => ({ name: "flaky", select(req, endpoints) { if (req.id === 7) throw new Error("boom"); return endpoints[0]; } });\n',
    );
    const out = join(dir, 'results');
    const r = await sim('run', experiment('flaky', `{policy: ${mod}}`), '--out', out, '--no-report', '--workers', '1');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/flaky/);
    expect(r.stderr).toMatch(/request 7\b/);
    // The failed point is recorded as failed, with its error, not as a result.
    const summary = JSON.parse(readFileSync(join(out, 'flaky', 'summary.json'), 'utf8'));
    expect(summary.runs).toEqual([]);
    expect(summary.failed[0].error).toMatch(/"flaky".*request 7: .*throws\.mjs:1:\d+: select threw Error: boom/);
  });
});
