import { afterAll, describe, expect, it } from 'vitest';
import { expandSweep, loadExperiment, pointId } from '../../src/experiment/index.js';
import { InputError } from '../../src/input-error.js';
import { cleanup, SMALL, tempDir, write } from './fixtures.js';

afterAll(cleanup);

const withSweep = (sweep: string, base = SMALL) => `${base}sweep:\n${sweep}`;

describe('sweep expansion', () => {
  it('no sweep: one point with no values', () => {
    expect(expandSweep(undefined)).toEqual([{}]);
    const exp = loadExperiment(write(tempDir(), 'e.yaml', SMALL));
    expect(exp.points).toHaveLength(1);
    expect(exp.points[0].values).toEqual({});
    expect(exp.points[0].id).toMatch(/^[0-9a-f]{10}$/);
  });

  it('cartesian product in file order, the last dimension varying fastest', () => {
    expect(expandSweep({ a: [1, 2], b: ['x', 'y', 'z'] })).toEqual([
      { a: 1, b: 'x' },
      { a: 1, b: 'y' },
      { a: 1, b: 'z' },
      { a: 2, b: 'x' },
      { a: 2, b: 'y' },
      { a: 2, b: 'z' },
    ]);
  });

  it('applies each point’s values to its validated configuration', () => {
    const file = write(
      tempDir(),
      'e.yaml',
      withSweep('  router.policy: [random, round-robin]\n  workload.sources[0].rate: [5, 10, 40]\n'),
    );
    const exp = loadExperiment(file);
    expect(exp.points.map((p) => p.values)).toEqual([
      { 'router.policy': 'random', 'workload.sources[0].rate': 5 },
      { 'router.policy': 'random', 'workload.sources[0].rate': 10 },
      { 'router.policy': 'random', 'workload.sources[0].rate': 40 },
      { 'router.policy': 'round-robin', 'workload.sources[0].rate': 5 },
      { 'router.policy': 'round-robin', 'workload.sources[0].rate': 10 },
      { 'router.policy': 'round-robin', 'workload.sources[0].rate': 40 },
    ]);
    for (const p of exp.points) {
      expect(p.config.router.policy).toBe(p.values['router.policy']);
      expect(p.config.workload.sources[0].rate).toBe(p.values['workload.sources[0].rate']);
      // Everything else is the base file's.
      expect(p.config.fleet[0].count).toBe(2);
      expect(p.config.seed).toBe(3);
    }
    // The base configuration is left as written.
    expect(exp.base.router.policy).toBe('least-request');
  });
});

describe('point ids', () => {
  const load = (text: string) => loadExperiment(write(tempDir(), 'e.yaml', text));

  it('are readable, unique and stable across loads', () => {
    const text = withSweep('  router.policy: [random, round-robin]\n  workload.sources[0].rate: [5, 10]\n');
    const a = load(text).points.map((p) => p.id);
    const b = load(text).points.map((p) => p.id);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(4);
    expect(a[0]).toMatch(/^random-5-[0-9a-f]{10}$/);
    expect(a[3]).toMatch(/^round-robin-10-[0-9a-f]{10}$/);
  });

  it('depend on the point’s own configuration, not on the other points of the sweep', () => {
    const a = load(withSweep('  router.policy: [random, round-robin]\n')).points;
    const b = load(withSweep('  router.policy: [least-request, random]\n')).points;
    expect(b[1].id).toBe(a[0].id);
    // The same configuration written without a sweep has the same hash.
    const plain = load(SMALL.replace('policy: least-request', 'policy: random')).points[0];
    expect(a[0].id.endsWith(plain.id)).toBe(true);
  });

  it('change when any setting changes', () => {
    const base = load(SMALL).points[0].id;
    expect(load(SMALL.replace('seed: 3', 'seed: 4')).points[0].id).not.toBe(base);
    expect(load(SMALL.replace('count: 2', 'count: 3')).points[0].id).not.toBe(base);
    expect(load(SMALL).points[0].id).toBe(base);
  });

  it('pointId hashes the configuration canonically (key order does not matter)', () => {
    expect(pointId({}, { a: 1, b: { c: 2, d: 3 } })).toBe(pointId({}, { b: { d: 3, c: 2 }, a: 1 }));
    expect(pointId({}, { a: 1 })).not.toBe(pointId({}, { a: 2 }));
    expect(pointId({ p: 'x/y z' }, { a: 1 })).toMatch(/^x-y-z-[0-9a-f]{10}$/);
  });
});

describe('bad sweeps', () => {
  const loadErr = (sweep: string): InputError => {
    const file = write(tempDir(), 'bad-sweep.yaml', withSweep(sweep));
    try {
      loadExperiment(file);
    } catch (err) {
      expect(err).toBeInstanceOf(InputError);
      return err as InputError;
    }
    throw new Error('expected an InputError');
  };

  it('a swept value that is invalid names the file and the field', () => {
    const e = loadErr('  workload.sources[0].rate: [5, -1]\n');
    expect(e.format()).toContain('bad-sweep.yaml');
    expect(e.format()).toMatch(/rate/);
  });

  it('a misspelt path is reported, not silently added', () => {
    const e = loadErr('  router.polcy: [random]\n');
    expect(e.format()).toContain('bad-sweep.yaml');
    expect(e.format()).toContain('router.polcy');
  });

  it('a path past the end of a list is reported', () => {
    const e = loadErr('  workload.sources[3].rate: [1]\n');
    expect(e.format()).toContain('sources[3]');
  });

  it('an empty value list is refused', () => {
    const e = loadErr('  router.policy: []\n');
    expect(e.format()).toMatch(/sweep/);
  });
});
