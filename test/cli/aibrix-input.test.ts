import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, hasSummary, tempDir, write } from '../experiment/fixtures.js';
import { lines, sim } from './harness.js';

afterAll(cleanup);

const BASE = `name: aibrix-input
seed: 1
model: Llama-3.1-8B
fleet:
  - gpu: A10
    count: 2
workload:
  requests: 20
  sources:
    - {class: chat, dataset: sharegpt, rate: 5}
router:
  policy: slo
`;

/** A profile whose gpu field is a deployment name, as AIBrix's gen_profile writes it. */
const profile = (slos: string) =>
  `{"gpu": "llama-a10-deploy", "cost": 1.0, "tputs": [[8.0]], "indexes": [[4], [128]], "created": 1.0, "e2e": [[1.0]], "slos": ${slos}}`;

async function run(router: string, files: Record<string, string> = {}, json = true) {
  const dir = tempDir();
  for (const [name, text] of Object.entries(files)) write(dir, name, text);
  const file = write(dir, 'exp.yaml', BASE + router);
  const out = tempDir();
  const r = await sim('run', file, ...(json ? ['--json'] : []), '--out', out, '--no-report');
  return { ...r, out };
}

describe('AIBrix scenario inputs', () => {
  const bad: [string, string, Record<string, string>, RegExp][] = [
    ['a timeout <= 0', '  timeoutS: 0\n', {}, /exp\.yaml: router\.timeoutS \(line 13\)/],
    ['a negative timeout', '  timeoutS: -60\n', {}, /exp\.yaml: router\.timeoutS/],
    [
      'a deployment mapping naming no fleet entry',
      '  profiles: p.json\n  deployments: {llama-a10-deploy: A100}\n',
      { 'p.json': profile('{"percentile": 99, "tpat": 0.05}') },
      /exp\.yaml: router\.deployments\.llama-a10-deploy \(line 14\): .*"A100", which names no fleet entry/,
    ],
    [
      'a profile SLO metric that is not one of AIBrix’s',
      '  profiles: p.json\n',
      { 'p.json': profile('{"percentile": 99, "tbt": 0.05}') },
      /exp\.yaml: router\.profiles .*p\.json: slos\.tbt: "tbt" is not one of AIBrix's profile SLOs/,
    ],
  ];
  for (const [name, router, files, says] of bad) {
    it(`${name}: one line naming file and field, exit 2, no results`, async () => {
      const r = await run(router, files);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const errs = lines(r.stderr);
      expect(errs, r.stderr).toHaveLength(1);
      expect(errs[0]).toMatch(says);
      expect(hasSummary(r.out)).toBe(false);
    });
  }

  it('sim profile aibrix: an SLO metric that is not AIBrix’s', async () => {
    const r = await sim('profile', 'aibrix', '--gpu', 'A10', '--model', 'Llama-3.1-8B', '--slo', 'tbt=0.05');
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/--slo: "tbt" is not one of AIBrix's profile SLOs \(e2e, ttft, tpot, tpat/)]);
  });

  it('sim profile aibrix: a grid range from 0 (it would double forever), a bad price or creation time', async () => {
    const base = ['profile', 'aibrix', '--gpu', 'A10', '--model', 'Llama-3.1-8B', '--slo', 'tpot=0.05', '--inputs', '4', '--outputs', '4', '--rates', '1', '--requests', '2'];
    for (const [flag, value, says] of [
      ['--inputs', '0..4', /--inputs: must be a range like 4\.\.4096/],
      ['--outputs', '0..4', /--outputs: must be a range/],
      ['--rates', '0..2', /--rates: must be a range/],
      ['--rates', '8..2', /--rates: must be a range/],
      ['--cost', '-1', /--cost: must be a price/],
      ['--created', 'abc', /--created: must be a time in whole Unix seconds/],
    ] as const) {
      const args = [...base];
      const at = args.indexOf(flag);
      if (at >= 0) args[at + 1] = value;
      else args.push(flag, value);
      const r = await sim(...args);
      expect(r.thrown).toBeUndefined();
      expect(r.code).toBe(2);
      expect(lines(r.stderr)).toEqual([expect.stringMatching(says)]);
    }
  });

  it('a profile whose gpu is a deployment name is used through router.deployments', async () => {
    const files = { 'p.json': profile('{"percentile": 99, "e2e": 5.0}') };
    const unmapped = await run('  profiles: p.json\n', files, false);
    expect(unmapped.code).toBe(0);
    // Warnings are on stderr, apart from the results.
    expect(unmapped.stderr).toMatch(/warning: .*deployment "llama-a10-deploy", which is no fleet GPU type/);
    expect(unmapped.stderr).toMatch(/SLOQueue found no profile available for model Llama-3\.1-8B, fallback to FIFO queue/);
    expect(unmapped.stdout).not.toMatch(/warning/);
    const mapped = await run('  profiles: p.json\n  deployments: {llama-a10-deploy: A10}\n', files, false);
    expect(mapped.code).toBe(0);
    expect(mapped.stdout).toMatch(/SLO %/);
    expect(mapped.stderr).not.toMatch(/fallback to FIFO|no fleet GPU type/);
  });

  it('profiles stored under another spelling of the model miss (case-sensitive), as in AIBrix', async () => {
    const files = { 'p.json': profile('{"percentile": 99, "e2e": 5.0}') };
    const r = await run('  profiles: p.json\n  deployments: {llama-a10-deploy: A10}\n  profileModel: llama-3.1-8b\n', files, false);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/SLOQueue found no profile available for model Llama-3\.1-8B, fallback to FIFO queue/);
  });
});

describe('sim profile aibrix', () => {
  it("writes gpu_benchmark.py's rows (5 metrics per point) and a profile from them", async () => {
    const dir = tempDir();
    const rows = `${dir}/rows.jsonl`;
    const out = `${dir}/p.json`;
    const r = await sim(
      'profile', 'aibrix', '--gpu', 'L20', '--model', 'Llama-3.1-8B', '--slo', 'tpat=0.05', '--inputs', '4,8', '--outputs', '4',
      '--rates', '1,2', '--requests', '5', '--created', '7', '--deployment', 'llama-l20', '--benchmark-out', rows, '-o', out,
    );
    expect(r.code, r.stderr).toBe(0);
    const { readFileSync } = await import('node:fs');
    const lines = readFileSync(rows, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2 * 1 * 2 * 5);
    expect(lines.map((l) => l.metric).slice(0, 5)).toEqual(['TPUT', 'TT', 'E2E', 'TTFT', 'TPOT']);
    expect(lines[4]).toMatchObject({ input_tokens: 4, output_tokens: 4, request_rate: 1, samples: 5, model: 'Llama-3.1-8B' });
    const p = JSON.parse(readFileSync(out, 'utf8'));
    expect(p).toMatchObject({ gpu: 'llama-l20', indexes: [[4], [4, 8]], created: 7, slos: { percentile: 99, tpat: 0.05 } });
  });
});
