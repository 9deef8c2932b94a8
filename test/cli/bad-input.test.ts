import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, hasSummary, tempDir, traceExperiment, TRACE_HEADER, write } from '../experiment/fixtures.js';
import { lines, sim } from './harness.js';

afterAll(cleanup);

/** A valid experiment to break one field at a time. */
const GOOD = `name: bad-input
seed: 1
model: Llama-3.1-8B
fleet:
  - gpu: H100-SXM
    count: 1
    engine: {maxNumSeqs: 64}
workload:
  requests: 5
  sources:
    - class: chat
      dataset: sharegpt
      rate: 5
router:
  policy: round-robin
`;

function edit(from: string, to: string): string {
  if (!GOOD.includes(from)) throw new Error(`fixture has no "${from}"`);
  return GOOD.replace(from, to);
}

interface Case {
  name: string;
  /** The experiment file's text (written as bad.yaml), and any trace (written as trace.csv). */
  yaml: string;
  trace?: string;
  /** The file the message must name. */
  names: string;
  /** The field or line the message must point at. */
  where: RegExp;
  /** What the message must say. */
  says: RegExp;
}

const traced = (trace: string) => ({ yaml: traceExperiment('trace.csv'), trace, names: 'trace.csv' as const });

const CASES: Case[] = [
  { name: 'YAML syntax error', yaml: 'name: x\nfleet: [\n  - gpu: A10\n', names: 'bad.yaml', where: /line \d+/, says: /invalid YAML/ },
  { name: 'YAML syntax error (bad indentation)', yaml: edit('    count: 1', '     count: 1\n   bad'), names: 'bad.yaml', where: /line \d+/, says: /invalid YAML/ },
  { name: 'unknown top-level field', yaml: edit('seed: 1', 'seed: 1\nsede: 2'), names: 'bad.yaml', where: /line \d+/, says: /unknown field "sede"/ },
  { name: 'unknown nested field', yaml: edit('count: 1', 'count: 1\n    gpus: 2'), names: 'bad.yaml', where: /fleet/, says: /unknown field "gpus"/ },
  { name: 'unknown engine field', yaml: edit('{maxNumSeqs: 64}', '{maxNumSeq: 64}'), names: 'bad.yaml', where: /fleet\.0\.engine|fleet\[0\]\.engine/, says: /unknown field "maxNumSeq"/ },
  { name: 'unknown GPU', yaml: edit('gpu: H100-SXM', 'gpu: H900'), names: 'bad.yaml', where: /fleet.*gpu.*line 5/, says: /unknown GPU "H900".*H100-SXM/ },
  { name: 'unknown model', yaml: edit('model: Llama-3.1-8B', 'model: Llama-9'), names: 'bad.yaml', where: /model \(line 3\)/, says: /unknown model "Llama-9".*Llama-3\.1-8B/ },
  { name: 'unknown policy', yaml: edit('policy: round-robin', 'policy: nope'), names: 'bad.yaml', where: /router\.policy/, says: /unknown routing policy "nope".*least-request/ },
  { name: 'unknown dataset', yaml: edit('dataset: sharegpt', 'dataset: sharegtp'), names: 'bad.yaml', where: /sources.*dataset/, says: /unknown dataset "sharegtp".*sharegpt/ },
  { name: 'negative rate', yaml: edit('rate: 5', 'rate: -5'), names: 'bad.yaml', where: /sources.*rate.*line 13/, says: /./ },
  { name: 'zero rate', yaml: edit('rate: 5', 'rate: 0'), names: 'bad.yaml', where: /sources.*rate.*line 13/, says: /./ },
  { name: 'zero count', yaml: edit('count: 1', 'count: 0'), names: 'bad.yaml', where: /fleet.*count.*line 6/, says: /./ },
  { name: 'negative request count', yaml: edit('requests: 5', 'requests: -5'), names: 'bad.yaml', where: /workload\.requests.*line 9/, says: /./ },
  { name: 'fractional request count', yaml: edit('requests: 5', 'requests: 2.5'), names: 'bad.yaml', where: /workload\.requests/, says: /./ },
  { name: 'zero duration', yaml: edit('requests: 5', 'duration: 0'), names: 'bad.yaml', where: /workload\.duration/, says: /./ },
  { name: 'zero maxNumSeqs', yaml: edit('{maxNumSeqs: 64}', '{maxNumSeqs: 0}'), names: 'bad.yaml', where: /maxNumSeqs/, says: /./ },
  { name: 'zero block size', yaml: edit('{maxNumSeqs: 64}', '{blockSize: 0}'), names: 'bad.yaml', where: /blockSize/, says: /./ },
  { name: 'a timing table that is nowhere', yaml: edit('    engine: {maxNumSeqs: 64}', '    engine: {maxNumSeqs: 64}\n    timing: {table: nope.csv}'), names: 'bad.yaml', where: /fleet\.0\.timing\.table \(line 8\)/, says: /timing table "nope\.csv" not found \(looked for .*nope\.csv, in the working directory and in the shipped profiles\/timing\/\)/ },
  { name: 'sweeping where results go', yaml: GOOD + 'sweep:\n  outputs.dir: [a, b]\n', names: 'bad.yaml', where: /sweep\.outputs\.dir/, says: /cannot be swept: outputs belongs to the whole experiment/ },
  { name: 'sweeping the description', yaml: GOOD + 'sweep:\n  description: [a, b]\n', names: 'bad.yaml', where: /sweep\.description/, says: /cannot be swept/ },
  { name: 'maxNumBatchedTokens below the default maxNumSeqs', yaml: edit('{maxNumSeqs: 64}', '{maxNumBatchedTokens: 1}'), names: 'bad.yaml', where: /fleet\.0\.engine\.maxNumBatchedTokens \(line 7\)/, says: /maxNumSeqs \(256, the default\) must not exceed maxNumBatchedTokens \(1\)/ },
  { name: 'maxNumSeqs above maxNumBatchedTokens', yaml: edit('{maxNumSeqs: 64}', '{maxNumSeqs: 9000}'), names: 'bad.yaml', where: /fleet\.0\.engine\.maxNumSeqs \(line 7\)/, says: /maxNumSeqs \(9000\) must not exceed/ },
  { name: 'a policy option out of range', yaml: edit('policy: round-robin', 'policy: dynamo-kv\n  options:\n    overlapScoreCredit: 2'), names: 'bad.yaml', where: /router\.options\.overlapScoreCredit \(line 17\)/, says: /must be <= 1, got 2/ },
  { name: 'negative SLO target', yaml: GOOD + 'slo: {ttftMs: -100}\n', names: 'bad.yaml', where: /slo\.ttftMs/, says: /./ },
  { name: 'rate given as text', yaml: edit('rate: 5', 'rate: fast'), names: 'bad.yaml', where: /rate/, says: /number/ },
  {
    name: 'a model that does not fit in GPU memory',
    yaml: edit('model: Llama-3.1-8B', 'model: Llama-3-70B').replace('gpu: H100-SXM', 'gpu: A10'),
    names: 'bad.yaml',
    where: /fleet.*gpu/,
    says: /Llama-3-70B does not fit on 1x A10/,
  },
  { name: 'trace with a missing column', ...traced('arrived_at,num_prefill_tokens\n0,10\n'), where: /line 1/, says: /missing column num_decode_tokens/ },
  { name: 'trace with a non-numeric length', ...traced(TRACE_HEADER + '0,10,5\n0.1,ten,5\n'), where: /line 3/, says: /num_prefill_tokens.*"ten"/ },
  { name: 'trace with a negative length', ...traced(TRACE_HEADER + '0,10,5\n0.1,10,5\n0.2,10,-5\n'), where: /line 4/, says: /num_decode_tokens.*"-5"/ },
  { name: 'trace with a bad line far from the start', ...traced(TRACE_HEADER + '0,10,5\n'.repeat(20) + '1,,5\n'), where: /line 22/, says: /num_prefill_tokens/ },
  { name: 'trace row with an extra field', ...traced(TRACE_HEADER + '0,10,5\n0.1,10,5,7\n'), where: /line 3/, says: /4 fields where the header has 3 columns/ },
  { name: 'trace row with a field missing', ...traced(TRACE_HEADER + '0,10,5\n0.1,10\n'), where: /line 3/, says: /2 fields where the header has 3 columns/ },
  { name: 'trace header naming a column twice', ...traced('arrived_at,num_prefill_tokens,num_prefill_tokens,num_decode_tokens\n0,1,2,3\n'), where: /line 1/, says: /column num_prefill_tokens appears twice/ },
  { name: 'empty trace', ...traced(''), where: /line 1|trace/, says: /empty/ },
  { name: 'trace with a header and no requests', ...traced(TRACE_HEADER), where: /trace/, says: /no requests/ },
  // The missing file itself is what the message names.
  { name: 'missing trace file', yaml: traceExperiment('nowhere.csv'), names: 'nowhere.csv', where: /./, says: /not found/ },
];

function checkOneLine(r: { code: number; stdout: string; stderr: string; thrown?: unknown }, c: Case): void {
  expect(r.thrown).toBeUndefined();
  expect(r.code).toBe(2);
  const errLines = lines(r.stderr);
  expect(errLines, r.stderr).toHaveLength(1);
  const line = errLines[0];
  expect(line).toContain(c.names);
  expect(line).toMatch(c.where);
  expect(line).toMatch(c.says);
  // No stack trace, no source paths of ours.
  expect(line).not.toMatch(/^\s+at |\.ts:\d+|node:internal/);
}

describe('bad input: exit code 2, one line naming the file and the field or line, no summary', () => {
  for (const c of CASES) {
    it(`sim run: ${c.name}`, async () => {
      const dir = tempDir();
      const file = write(dir, 'bad.yaml', c.yaml);
      if (c.trace !== undefined) write(dir, 'trace.csv', c.trace);
      const out = tempDir();
      const r = await sim('run', file, '--out', out, '--no-report');
      checkOneLine(r, c);
      expect(r.stdout).toBe('');
      expect(hasSummary(out)).toBe(false);
    });
  }

  it('sim run --json: bad input prints nothing on stdout', async () => {
    const dir = tempDir();
    const file = write(dir, 'bad.yaml', edit('gpu: H100-SXM', 'gpu: H900'));
    const out = tempDir();
    const r = await sim('run', file, '--json', '--out', out, '--no-report');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)).toHaveLength(1);
    expect(hasSummary(out)).toBe(false);
  });

  it('sim run: a file that does not exist', async () => {
    const r = await sim('run', '/nonexistent/dir/exp.yaml', '--out', tempDir(), '--no-report');
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain('/nonexistent/dir/exp.yaml');
  });

  it('a swept value that is bad wherever it is used is refused before anything is written', async () => {
    const dir = tempDir();
    const file = write(dir, 'bad.yaml', GOOD + 'sweep:\n  router.policy: [round-robin, nope]\n');
    const out = tempDir();
    const r = await sim('run', file, '--out', out, '--no-report', '--workers', '1');
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/bad\.yaml: sweep\.router\.policy\.1 \(line \d+\): unknown routing policy "nope"/)]);
    expect(hasSummary(out)).toBe(false);
  });

  it('a combination that is bad only together is recorded as failed, the others run', async () => {
    const dir = tempDir();
    // Llama-2-13B does not fit on one A10; the other three combinations run.
    const file = write(dir, 'bad.yaml', GOOD + 'sweep:\n  model: [Llama-3.1-8B, Llama-2-13B]\n  fleet[0].gpu: [H100-SXM, A10]\n');
    const out = tempDir();
    const r = await sim('run', file, '--out', out, '--no-report', '--workers', '1');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Llama-2-13B does not fit on 1x A10/);
    const summary = JSON.parse(readFileSync(join(out, 'bad-input', 'summary.json'), 'utf8'));
    expect(summary.runs).toHaveLength(3);
    expect(summary.failed).toHaveLength(1);
  });

  it('a sweep whose every point is invalid fails before anything is written', async () => {
    const dir = tempDir();
    const file = write(dir, 'bad.yaml', GOOD + 'sweep:\n  router.policy: [nope, nada]\n');
    const out = tempDir();
    const r = await sim('run', file, '--out', out, '--no-report', '--workers', '1');
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/bad\.yaml.*unknown routing policy "nope"/);
    expect(hasSummary(out)).toBe(false);
  });
});

describe('sim validate', () => {
  for (const c of CASES) {
    it(`refuses: ${c.name}`, async () => {
      const dir = tempDir();
      const file = write(dir, 'bad.yaml', c.yaml);
      if (c.trace !== undefined) write(dir, 'trace.csv', c.trace);
      const r = await sim('validate', file);
      checkOneLine(r, c);
      expect(r.stdout).toBe('');
    });
  }

  it('accepts a good file, naming how many points it has', async () => {
    const dir = tempDir();
    const file = write(dir, 'good.yaml', GOOD + 'sweep:\n  router.policy: [round-robin, random]\n');
    const r = await sim('validate', file);
    expect(r.thrown).toBeUndefined();
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${file}: ok (2 points)\n`);
  });

  it('accepts a good trace experiment', async () => {
    const dir = tempDir();
    write(dir, 'trace.csv', TRACE_HEADER + '0,10,5\n0.5,20,3\n');
    const r = await sim('validate', write(dir, 'good.yaml', traceExperiment('trace.csv')));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ok \(1 point\)/);
  });
});

describe('flags the chosen mode would ignore are refused, not dropped', () => {
  for (const [args, says] of [
    [['run', 'x.yaml', '--json', '--format', 'table'], /^error: --json and --format table disagree/],
    [['plan', 'pd-ratio', 'x.yaml', '--verify', '3'], /^error: --verify is for plan files; sim plan pd-ratio does not use it/],
    [['plan', 'pd-ratio', 'x.yaml', '--no-plot'], /^error: --no-plot is for plan files/],
    [['plan', 'p.yaml', '--rate', '5'], /^error: --rate is for sim plan pd-ratio/],
    [['fidelity', 'runs.csv', '--write', '--fit'], /^error: --fit needs a simulation; --write only writes the experiment files/],
    [['fidelity', 'runs.csv', '--fit', '--markdown', 'm.md'], /^error: --markdown does not apply to --fit/],
  ] as const) {
    it(`sim ${args.join(' ')}`, async () => {
      const r = await sim(...args);
      expect(r.thrown).toBeUndefined();
      expect(r.code).toBe(2);
      expect(lines(r.stderr)).toEqual([expect.stringMatching(says)]);
    });
  }
});
