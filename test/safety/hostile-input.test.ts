import { spawnSync } from 'node:child_process';
import { closeSync, openSync, writeFileSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { InputError, printable } from '../../src/input-error.js';
import { MAX_REQUESTS_PER_POINT, MAX_SWEEP_POINTS } from '../../src/experiment/limits.js';
import { openTrace } from '../../src/workload/index.js';
import { ensureBuilt, sim, smallExperiment, tempDir, writeExperiment } from '../sweep/helpers.js';

const dir = tempDir('routesim-hostile-');
beforeAll(ensureBuilt);

function oneLine(r: { code: number; stdout: string; stderr: string }, pattern: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^error: /);
  expect(r.stderr).toMatch(pattern);
  expect(r.stdout).toBe('');
}

const write = (name: string, content: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

/** An experiment replaying one trace file. */
const traceExperiment = (name: string, format: string, path: string) =>
  writeExperiment(dir, name, { ...smallExperiment(name), workload: { sources: [{ class: 'c', trace: { format, path } }] } });

/** The error `openTrace` + reading it to the end raises, as one formatted line. */
function traceError(format: 'mooncake' | 'azure' | 'vidur' | 'aibrix', path: string): string {
  try {
    const r = openTrace(format, path);
    while (r.next());
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as InputError).format();
  }
  return 'no error';
}

describe('hostile files: one line, exit 2', () => {
  it('a trace path that is a directory, /dev/zero, a FIFO, a 1 GB line, a gzip file', () => {
    oneLine(sim(['validate', traceExperiment('t-dir', 'mooncake', dir)]), /is a directory, not a trace file/);
    oneLine(sim(['validate', traceExperiment('t-zero', 'mooncake', '/dev/zero')]), /\/dev\/zero: is not a regular file/);
    // Opening a FIFO would wait for a writer forever.
    const fifo = join(dir, 'trace.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    oneLine(sim(['validate', traceExperiment('t-fifo', 'mooncake', fifo)]), /trace\.fifo: is not a regular file/);
    // A sparse 1 GiB file without a newline: the reader gives up at its line limit, not at the heap's.
    const big = join(dir, 'one-line.jsonl');
    const fd = openSync(big, 'w');
    ftruncateSync(fd, 1024 ** 3);
    closeSync(fd);
    oneLine(sim(['validate', traceExperiment('t-big', 'mooncake', big)]), /one-line\.jsonl: line 1: line is longer than 64 MiB/);
    const gz = write('trace.jsonl', gzipSync('{"timestamp": 0, "input_length": 10, "output_length": 5}\n'));
    oneLine(sim(['validate', traceExperiment('t-gz', 'mooncake', gz)]), /is a gzip file; decompress it first/);
  });

  it('an experiment file that is a directory or a device, and a YAML alias bomb', () => {
    oneLine(sim(['validate', dir]), /is a directory, not a YAML file/);
    oneLine(sim(['run', '/dev/zero', '--out', join(dir, 'never')]), /\/dev\/zero: is not a regular file/);
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    const bomb = write('bomb.yaml', [...levels, 'name: bomb', ''].join('\n'));
    oneLine(sim(['validate', bomb]), /bomb\.yaml: invalid YAML: Excessive alias count/);
    // A dataset that is neither shipped nor a file names its field and line.
    const noData = write('no-dataset.yaml', stringify(smallExperiment('nd', {})).replace(/dataset: sharegpt/, 'dataset: sharegptx'));
    oneLine(sim(['validate', noData]), /no-dataset\.yaml: workload\.sources\.0\.dataset \(line \d+\): unknown dataset "sharegptx"/);
    // An unknown key is located at its own line.
    const text = stringify(smallExperiment('unk', {})) + 'bogus: 3\n';
    const unknownKey = write('unknown-key.yaml', text);
    oneLine(sim(['validate', unknownKey]), new RegExp(`unknown-key\\.yaml: bogus \\(line ${text.trim().split('\n').length}\\): unknown field "bogus"`));
    const two = write('two-docs.yaml', 'name: a\nseed: 1\n---\nname: b\n');
    oneLine(sim(['validate', two]), /two-docs\.yaml: line 3: invalid YAML: a second document \(---\) begins here; a file holds one\n$/);
  });

  it('control bytes from a file are escaped in the message', () => {
    const path = write('ctrl.jsonl', '\u001b[2J\u0007{"timestamp": 0}\n');
    const msg = traceError('mooncake', path);
    expect(msg).toMatch(/line 1: invalid JSON/);
    expect(msg).toContain('\\x1b');
    expect(msg).not.toMatch(/[\u0000-\u001f]/);
    expect(printable('a\u2028b\u0000\u009b')).toBe('a\\u2028b\\x00\\x9b');
  });
});

describe('resource limits are checked before expansion or allocation', () => {
  it(`a sweep of more than ${MAX_SWEEP_POINTS} points is refused by validate and run, with the limit`, () => {
    const values = Array.from({ length: 1000 }, (_, i) => i + 1);
    const file = writeExperiment(dir, 'million', smallExperiment('million', { sweep: { seed: values, 'workload.duration': values } }));
    const r = sim(['validate', file]);
    oneLine(r, /the sweep has 1,000,000 points \(seed \(1000\) x workload\.duration \(1000\)\); the limit is 100,000 per experiment/);
    oneLine(sim(['run', file, '--out', join(dir, 'million-out')]), /the limit is 100,000/);
  });

  it('validate reports the point count', () => {
    const file = writeExperiment(dir, 'counted', smallExperiment('counted', { sweep: { rates: [2, 4, 6], 'router.policy': ['random', 'least-request'] } }));
    const r = sim(['validate', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${file}: ok (6 points)\n`);
  });

  it(`request counts beyond ${MAX_REQUESTS_PER_POINT} per point: rate 1e308, a huge duration or requests`, () => {
    const exp = (w: Record<string, unknown>) => smallExperiment('req', { workload: { sources: [{ class: 'c', dataset: 'sharegpt', rate: 10 }], ...w } });
    oneLine(sim(['validate', writeExperiment(dir, 'r1', { ...exp({ duration: 10 }), workload: { duration: 10, sources: [{ class: 'c', dataset: 'sharegpt', rate: 1e308 }] } })]), /workload\.sources\.0\.rate .*more than 1e308 requests .*the limit is 20,000,000 per point/);
    oneLine(sim(['validate', writeExperiment(dir, 'r2', exp({ duration: 1e9 }))]), /workload\.duration .*about 10,000,000,000 requests/);
    oneLine(sim(['validate', writeExperiment(dir, 'r3', exp({ requests: 1e12 }))]), /workload\.requests .*about 1,000,000,000,000 requests/);
    oneLine(sim(['validate', writeExperiment(dir, 'r4', smallExperiment('r4', { sweep: { rates: [5, 1e300] } }))]), /workload\.sources\.0\.rate/);
    // Stages: the stage that would generate the most is named.
    const staged = { workload: { stages: [{ rate: 5, duration: 10 }, { rate: 1e9, duration: 600 }], sources: [{ class: 'c', dataset: 'sharegpt', ratio: 1 }] } };
    oneLine(sim(['validate', writeExperiment(dir, 'r5', smallExperiment('r5', staged))]), /workload\.stages\.1 .*about 600,000,000,050 requests/);
  });

  it('a value listed twice in a sweep is refused with its line (it would make two points with one id)', () => {
    oneLine(sim(['validate', writeExperiment(dir, 'dup', smallExperiment('dup', { sweep: { 'router.policy': ['random', 'least-request', 'random'] } }))]), /sweep\.router\.policy\.2 \(line \d+\): value "random" is listed twice \(entries 0 and 2\)/);
    oneLine(sim(['validate', writeExperiment(dir, 'dupr', smallExperiment('dupr', { sweep: { rates: [2, 2.0] } }))]), /value 2 is listed twice/);
    const zip = smallExperiment('dupz', { sweep: { zip: [{ 'router.policy': ['random', 'random'], 'workload.duration': [10, 10] }] } });
    oneLine(sim(['validate', writeExperiment(dir, 'dupz', zip)]), /step 1 of this zip group repeats step 0/);
    // The same value in two different lists is fine.
    expect(sim(['validate', writeExperiment(dir, 'nodup', smallExperiment('nodup', { sweep: { zip: [{ 'router.policy': ['random', 'random'], 'workload.duration': [10, 20] }] } }))]).code).toBe(0);
  });
});

describe('strict parsing', () => {
  it('a byte-order mark is accepted at the start of JSONL traces, as in CSV', () => {
    const bom = '\ufeff';
    const moon = write('bom.jsonl', `${bom}{"timestamp": 0, "input_length": 10, "output_length": 5}\n{"timestamp": 1000, "input_length": 20, "output_length": 6}\n`);
    const r = openTrace('mooncake', moon);
    expect([r.next()?.promptTokens, r.next()?.arrival, r.next()]).toEqual([10, 1, undefined]);
    const aib = write('bom-aibrix.jsonl', `${bom}{"timestamp": 0, "requests": [{"prompt_length": 7, "output_length": 3}]}\n`);
    expect(openTrace('aibrix', aib).next()?.promptTokens).toBe(7);
    const csv = write('bom.csv', `${bom}num_prefill_tokens,num_decode_tokens,arrived_at\n10,5,0\n`);
    expect(openTrace('vidur', csv).next()?.promptTokens).toBe(10);
    // Only at the start of the file: later in a line it is a character like any other.
    expect(traceError('mooncake', write('bom-late.jsonl', `{"timestamp": 0, "input_length": 1, "output_length": 1}\n${bom}{"timestamp": 1}\n`))).toMatch(/line 2: invalid JSON/);
  });

  it('Azure timestamps must be real dates and times (no roll-over)', () => {
    const azure = (stamp: string) => write(`az-${stamp.replace(/\W/g, '')}.csv`, `TIMESTAMP,ContextTokens,GeneratedTokens\n${stamp},10,5\n`);
    for (const bad of ['2023-13-45 25:61:61', '2023-02-29 10:00:00', '2023-04-31 00:00:00', '2023-01-01 24:00:00', '2023-01-01 00:60:00', '2023-01-01 00:00:60', '2023-00-10 00:00:00']) {
      expect(traceError('azure', azure(bad))).toMatch(/is not a valid date and time/);
    }
    expect(openTrace('azure', azure('2024-02-29 23:59:59.9999999')).next()?.arrival).toBe(0);
  });

  it('numbers are decimal: no hex, binary, octal or Infinity; exponents and signs are fine', () => {
    const vidur = (v: string) => write(`v-${Buffer.from(v).toString('hex')}.csv`, `num_prefill_tokens,num_decode_tokens,arrived_at\n10,5,${v}\n`);
    for (const bad of ['0x20', '0b1', '0o7', 'Infinity', '1_000', '', ' ', '1e', '.']) expect(traceError('vidur', vidur(bad))).toMatch(/arrived_at must be a non-negative number|missing arrived_at/);
    for (const [ok, value] of [['32', 32], ['1e3', 1000], ['+2.5', 2.5], ['.5', 0.5], [' 7 ', 7]] as const) expect(openTrace('vidur', vidur(ok)).next()?.arrival).toBe(value);
    const moon = write('hex.jsonl', '{"timestamp": "0x20", "input_length": 10, "output_length": 5}\n');
    expect(traceError('mooncake', moon)).toMatch(/timestamp must be a non-negative number, got "0x20"/);
  });
});

// The experiment YAML itself parses numbers by YAML 1.2 rules; zod then checks types.
it('an experiment file with a hex rate is a type error, not a silent 32', () => {
  const file = join(dir, 'hexrate.yaml');
  writeFileSync(file, stringify(smallExperiment('hexrate')).replace('rate: 6', 'rate: "0x20"'));
  oneLine(sim(['validate', file]), /rate/);
});
