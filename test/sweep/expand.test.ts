import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadExperiment } from '../../src/experiment/load.js';
import { expandSweep } from '../../src/experiment/sweep.js';
import { InputError } from '../../src/input-error.js';
import { smallExperiment, tempDir, writeExperiment } from './helpers.js';

const dir = tempDir();
const load = (name: string, extra: Record<string, unknown>) => loadExperiment(writeExperiment(dir, name, smallExperiment(name, extra)));

function loadError(name: string, extra: Record<string, unknown>): string {
  try {
    load(name, extra);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as InputError).format();
  }
  throw new Error('expected an InputError');
}

describe('sweep expansion', () => {
  it('is the cartesian product, last dimension varying fastest, in file order', () => {
    const exp = load('cart', { sweep: { 'router.policy': ['random', 'least-request'], 'workload.sources[0].rate': [2, 4, 8] } });
    expect(exp.points.map((p) => p.values)).toEqual([
      { 'router.policy': 'random', 'workload.sources[0].rate': 2 },
      { 'router.policy': 'random', 'workload.sources[0].rate': 4 },
      { 'router.policy': 'random', 'workload.sources[0].rate': 8 },
      { 'router.policy': 'least-request', 'workload.sources[0].rate': 2 },
      { 'router.policy': 'least-request', 'workload.sources[0].rate': 4 },
      { 'router.policy': 'least-request', 'workload.sources[0].rate': 8 },
    ]);
    expect(exp.points[4].config.router.policy).toBe('least-request');
    expect(exp.points[4].config.workload.sources[0].rate).toBe(4);
  });

  it('keeps the order of the file even for rates: and zip: (validation lists them first)', () => {
    const exp = load('order', { sweep: { 'router.policy': ['random', 'least-request'], rates: [3, 5] } });
    expect(exp.points.map((p) => [p.values['router.policy'], p.values.rate])).toEqual([
      ['random', 3],
      ['random', 5],
      ['least-request', 3],
      ['least-request', 5],
    ]);
  });

  it('varies the fields of a zip group together', () => {
    const exp = load('zip', {
      fleet: [
        { gpu: 'H100-SXM', count: 1 },
        { gpu: 'A100-80GB', count: 1 },
      ],
      sweep: {
        zip: [{ 'fleet[0].count': [1, 2, 3], 'fleet[1].count': [3, 2, 1] }],
        'router.policy': ['random', 'least-request'],
      },
    });
    expect(exp.points).toHaveLength(6);
    expect(exp.points.map((p) => [p.config.fleet[0].count, p.config.fleet[1].count, p.config.router.policy])).toEqual([
      [1, 3, 'random'],
      [1, 3, 'least-request'],
      [2, 2, 'random'],
      [2, 2, 'least-request'],
      [3, 1, 'random'],
      [3, 1, 'least-request'],
    ]);
  });

  it('rates: sets workload.rate of a ratio mix', () => {
    const exp = load('rates-total', {
      workload: { duration: 10, rate: 4, sources: [{ class: 'a', dataset: 'sharegpt', ratio: 3 }, { class: 'b', dataset: 'bird', ratio: 1 }] },
      sweep: { rates: [2, 6] },
    });
    expect(exp.points.map((p) => p.config.workload.rate)).toEqual([2, 6]);
    expect(exp.points.map((p) => p.values)).toEqual([{ rate: 2 }, { rate: 6 }]);
  });

  it('rates: scales every source rate, keeping the mix', () => {
    const exp = load('rates-scale', {
      workload: { duration: 10, sources: [{ class: 'a', dataset: 'sharegpt', rate: 7 }, { class: 'b', dataset: 'bird', rate: 4 }] },
      sweep: { rates: [22, 5.5] },
    });
    expect(exp.points.map((p) => p.config.workload.sources.map((s) => s.rate))).toEqual([
      [14, 8],
      [3.5, 2],
    ]);
  });

  it('creates objects the file leaves out (slo for slo.ttftMs)', () => {
    const exp = load('create', { slo: undefined, sweep: { 'slo.ttftMs': [200, 400] } });
    expect(exp.points.map((p) => p.config.slo?.ttftMs)).toEqual([200, 400]);
  });

  it('without a sweep is one point with no values', () => {
    const exp = load('single', {});
    expect(exp.points).toHaveLength(1);
    expect(exp.points[0].values).toEqual({});
  });

  it('has as many distinct points as the product of the list lengths', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 4 }), fc.integer({ min: 0, max: 3 }), (lengths, zipLen) => {
        const sweep: Record<string, unknown[]> & { zip?: Record<string, unknown[]>[] } = {};
        lengths.forEach((n, i) => (sweep[`p${i}`] = Array.from({ length: n }, (_, j) => j)));
        if (zipLen > 0) sweep.zip = [{ za: Array.from({ length: zipLen }, (_, j) => j), zb: Array.from({ length: zipLen }, (_, j) => -j) }];
        const points = expandSweep(sweep);
        const expected = lengths.reduce((a, n) => a * n, 1) * (zipLen > 0 ? zipLen : 1);
        expect(points).toHaveLength(expected);
        expect(new Set(points.map((p) => JSON.stringify(p))).size).toBe(expected);
        for (const p of points) if (zipLen > 0) expect(p.zb).toBe(-(p.za as number));
      }),
    );
  });
});

describe('bad sweeps: one clear message', () => {
  it('a path that is not in the schema', () => {
    expect(loadError('typo', { sweep: { 'router.polcy': ['random'] } })).toMatch(
      /typo\.yaml: sweep\.router\.polcy \(line \d+\): sweep path "router.polcy" does not exist in the schema \(router has no field "polcy"\)/,
    );
    expect(loadError('top', { sweep: { rate: [1, 2] } })).toMatch(/sweep\.rate \(line \d+\): sweep path "rate" does not exist in the schema \(for total request rates use rates:\)/);
    expect(loadError('deep', { sweep: { 'fleet[0].engine.maxSeqs': [1] } })).toMatch(/fleet\[0\]\.engine has no field "maxSeqs"/);
  });

  it('an index past the end of a list', () => {
    expect(loadError('past', { sweep: { 'workload.sources[2].rate': [1] } })).toMatch(/indexes past the end of a list \(workload\.sources has 1 entries\)/);
  });

  it('an empty value list', () => {
    expect(loadError('empty', { sweep: { 'router.policy': [] } })).toMatch(/sweep\.router\.policy \(line \d+\): a sweep needs at least one value/);
    expect(loadError('empty-rates', { sweep: { rates: [] } })).toMatch(/sweep\.rates.*a sweep needs at least one value/);
  });

  it('zipped lists of different lengths', () => {
    expect(loadError('zip-len', { sweep: { zip: [{ 'router.policy': ['random', 'least-request'], 'workload.sources[0].rate': [1] }] } })).toMatch(
      /zipped lists must be equally long \("router.policy" has 2 values, "workload.sources\[0\].rate" has 1\)/,
    );
  });

  it('rates: on a workload that replays trace timestamps', () => {
    expect(
      loadError('rates-trace', {
        workload: { sources: [{ class: 't', trace: { format: 'mooncake', path: 'x.jsonl' } }] },
        sweep: { rates: [1] },
      }),
    ).toMatch(/rates: needs workload.rate or a rate on every source \(workload.sources\[0\] has none\)/);
  });

  it('a swept value the schema rejects is located in its sweep list, naming the value and the field', () => {
    expect(loadError('bad-value', { sweep: { 'workload.sources[0].rate': [1, -2] } })).toMatch(
      /: sweep\.workload\.sources\[0\]\.rate\.1 \(line \d+\): Too small.* \(swept value -2 of workload\.sources\[0\]\.rate\)$/,
    );
    // In a zip group too.
    const zip = { zip: [{ 'fleet[0].count': [1, 0], 'workload.duration': [10, 20] }] };
    expect(loadError('bad-zip', { sweep: zip })).toMatch(/: sweep\.zip\.0\.fleet\[0\]\.count\.1 \(line \d+\): .*\(swept value 0 of fleet\[0\]\.count\)$/);
  });

  it('a swept value the fleet or catalog rejects (not the schema) is located in its sweep list too', async () => {
    const { checkPoints } = await import('../../src/experiment/check-points.js');
    const exp = load('bad-tp', { sweep: { 'fleet[0].tp': [1, 3] } });
    const err = await checkPoints(exp).then(
      () => undefined,
      (e: unknown) => e as InputError,
    );
    expect(err?.format()).toMatch(/: sweep\.fleet\[0\]\.tp\.1 \(line \d+\): tensor parallelism 3 does not divide/);
  });
});
