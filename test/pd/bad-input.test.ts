/**
 * Bad PD input through `sim validate` (in process): one line naming the file and the field, exit 2.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { sim } from '../cli/harness.js';
import { loadExperiment, runPoint } from '../../src/experiment/index.js';
import { cleanup, tempDir, write } from '../experiment/fixtures.js';

afterAll(cleanup);

function validate(file: string) {
  return sim('validate', file);
}

/** A valid 1P1D experiment (instances H100-SXM-prefill-0 and H100-SXM-decode-1). */
const GOOD = `name: pd-bad
seed: 1
model: Llama-3.1-8B
fleet:
  - {gpu: H100-SXM, count: 1, role: prefill}
  - {gpu: H100-SXM, count: 1, role: decode}
workload:
  requests: 5
  sources:
    - class: chat
      dataset: sharegpt
      rate: 5
router:
  policy: sglang-pd
`;

const FLEET = `  - {gpu: H100-SXM, count: 1, role: prefill}
  - {gpu: H100-SXM, count: 1, role: decode}
`;

function edit(from: string, to: string): string {
  if (!GOOD.includes(from)) throw new Error(`fixture has no "${from}"`);
  return GOOD.replace(from, to);
}

interface Case {
  name: string;
  yaml: string;
  where: RegExp;
  says: RegExp;
}

const CASES: Case[] = [
  {
    name: 'PD policy with no prefill instances',
    yaml: edit(FLEET, '  - {gpu: H100-SXM, count: 2, role: decode}\n'),
    where: /fleet/,
    says: /prefill/,
  },
  {
    name: 'PD policy with no decode instances',
    yaml: edit(FLEET, '  - {gpu: H100-SXM, count: 2, role: prefill}\n'),
    where: /fleet/,
    says: /decode/,
  },
  {
    name: 'a roleset with only one role',
    yaml: edit(
      FLEET,
      `  - {gpu: H100-SXM, count: 1, role: prefill, roleset: a}
  - {gpu: H100-SXM, count: 1, role: decode, roleset: a}
  - {gpu: H100-SXM, count: 1, role: prefill, roleset: b}
`,
    ).replace('policy: sglang-pd', 'policy: pd'),
    where: /fleet/,
    says: /roleset.*"?b"?|"?b"?.*roleset/,
  },
  {
    name: 'prefill/decode and unified instances mixed',
    yaml: edit(FLEET, FLEET + '  - {gpu: H100-SXM, count: 1}\n'),
    where: /fleet/,
    says: /unified/,
  },
  { name: 'zero RDMA bandwidth', yaml: GOOD + 'pd:\n  rdma: {bandwidthGBs: 0, latencyMs: 0.4}\n', where: /pd.*rdma.*bandwidthGBs/, says: /./ },
  { name: 'negative NVLink bandwidth', yaml: GOOD + 'pd:\n  nvlink: {bandwidthGBs: -300, latencyMs: 0.02}\n', where: /pd.*nvlink.*bandwidthGBs/, says: /./ },
  {
    name: 'zero bandwidth on one path',
    yaml: GOOD + 'pd:\n  links:\n    - {from: H100-SXM-prefill-0, to: H100-SXM-decode-1, bandwidthGBs: 0}\n',
    where: /pd.*links.*0.*bandwidthGBs/,
    says: /./,
  },
  {
    name: 'negative latency on one path',
    yaml: GOOD + 'pd:\n  links:\n    - {from: H100-SXM-prefill-0, to: H100-SXM-decode-1, latencyMs: -1}\n',
    where: /pd.*links.*0.*latencyMs/,
    says: /./,
  },
  {
    name: 'a path from an undefined instance',
    yaml: GOOD + 'pd:\n  links:\n    - {from: H100-SXM-prefill-7, to: H100-SXM-decode-1, bandwidthGBs: 25}\n',
    where: /pd.*links.*0.*from/,
    says: /"H100-SXM-prefill-7" is not a prefill instance.*H100-SXM-prefill-0/,
  },
  {
    name: 'a path to an undefined instance',
    yaml: GOOD + 'pd:\n  links:\n    - {from: H100-SXM-prefill-0, to: nowhere, bandwidthGBs: 25}\n',
    where: /pd.*links.*0.*to/,
    says: /"nowhere" is not a decode instance.*H100-SXM-decode-1/,
  },
  {
    name: 'a path from a decode instance',
    yaml: GOOD + 'pd:\n  links:\n    - {from: H100-SXM-decode-1, to: H100-SXM-decode-1}\n',
    where: /pd.*links.*0.*from/,
    says: /not a prefill instance/,
  },
  {
    name: 'a unified policy on a PD fleet',
    yaml: edit('policy: sglang-pd', 'policy: round-robin'),
    where: /router\.policy/,
    says: /PD policy.*"round-robin"/,
  },
  {
    name: 'a PD policy on a unified fleet',
    yaml: edit(FLEET, '  - {gpu: H100-SXM, count: 2}\n'),
    where: /router\.policy/,
    says: /"sglang-pd" is a prefill\/decode policy/,
  },
  {
    name: 'follow_bootstrap_room without a PD router',
    yaml: edit(FLEET, '  - {gpu: H100-SXM, count: 1, dp: 2, dpDispatch: follow_bootstrap_room}\n').replace('policy: sglang-pd', 'policy: round-robin'),
    where: /fleet.*0.*dpDispatch/,
    says: /follow_bootstrap_room/,
  },
  {
    name: 'slo-pd with a bad step-time profile',
    yaml: edit('policy: sglang-pd', 'policy: slo-pd\n  options: {profile: {H100-SXM: {decodeBaseS: -1}}}'),
    where: /router\.options\.profile/,
    says: /profile\.H100-SXM\.decodeBaseS.*non-negative/,
  },
  {
    name: 'slo-pd with an unknown source',
    yaml: edit('policy: sglang-pd', 'policy: slo-pd\n  options: {source: oracle}'),
    where: /router\.options\.source/,
    says: /"live", "profile"/,
  },
  {
    name: 'follow_bootstrap_room under AIBrix slo on a PD fleet (whole requests carry no room)',
    yaml: edit(FLEET, '  - {gpu: H100-SXM, count: 1, role: prefill, dp: 2, dpDispatch: follow_bootstrap_room}\n  - {gpu: H100-SXM, count: 1, role: decode}\n').replace('policy: sglang-pd', 'policy: slo'),
    where: /fleet.*0.*dpDispatch/,
    says: /slo routes whole requests/,
  },
];

describe('bad PD input: one line naming file and field, exit 2', () => {
  it('the unbroken file is valid', async () => {
    const file = write(tempDir(), 'good.yaml', GOOD);
    const r = await validate(file);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const file = write(tempDir(), 'bad.yaml', c.yaml);
      const r = await validate(file);
      expect(r.thrown).toBeUndefined();
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      expect(lines, r.stderr).toHaveLength(1);
      const line = lines[0];
      expect(line).toContain(file);
      expect(line).toMatch(c.where);
      expect(line).toMatch(c.says);
      expect(line).toMatch(/line \d+/);
      expect(line).not.toMatch(/^\s+at |\.ts:\d+|node:internal/);
    });
  }
});

describe('a valid PD experiment runs', () => {
  it('every request ends once, with a PD breakdown and both roles utilized', async () => {
    const file = write(tempDir(), 'good.yaml', GOOD.replace('requests: 5', 'requests: 20'));
    const exp = loadExperiment(file);
    const r = await runPoint(exp, exp.points[0]);
    expect(r.completed + r.rejected).toBe(20);
    expect(r.completed).toBe(20);
    expect(r.summary.pd?.requests).toBe(20);
    expect(r.summary.utilization_by_role.prefill).toBeGreaterThan(0);
    expect(r.summary.utilization_by_role.decode).toBeGreaterThan(0);
    expect(r.summary.instances.map((x) => x.prefills)).toEqual([20, 0]);
  });
});
