import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ProfileFormatError,
  ProfileSet,
  ProfileTable,
  chosenSlo,
  nearestTick,
  parseAibrixProfile,
  profileIssues,
  serializeAibrixProfile,
  type AibrixProfile,
} from '../../src/routing/index.js';
import { pyFloat, pyString } from '../../src/routing/pyjson.js';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), 'utf8');
// Profiles of our own making in AIBrix's exact layout (see fixtures/README.md).
const A100 = fixture('example-profile-a.json');
const A40 = fixture('example-profile-b.json');

describe('AIBrix profile round trip', () => {
  it('serialize(parse(file)) reproduces the gen_profile file byte for byte', () => {
    expect(serializeAibrixProfile(parseAibrixProfile(A100, 'a100.json'))).toBe(A100);
    expect(serializeAibrixProfile(parseAibrixProfile(A40, 'a40.json'))).toBe(A40);
  });

  // AIBrix's own shipped profiles, when the shared data sits beside the checkout (not copied here).
  const shared = fileURLToPath(new URL('../../../shared/data/aibrix/gpu_optimizer_profiles/', import.meta.url));
  it.skipIf(!existsSync(shared))('round-trips the profiles AIBrix ships, byte for byte', () => {
    for (const f of ['simulator-llama2-7b-a100.json', 'simulator-llama2-7b-a40.json']) {
      const text = readFileSync(shared + f, 'utf8');
      expect(serializeAibrixProfile(parseAibrixProfile(text, f))).toBe(text);
    }
  });

  it('keeps the field order and values of the input', () => {
    const p = parseAibrixProfile(A100);
    expect(Object.keys(p)).toEqual(['gpu', 'cost', 'tputs', 'indexes', 'created', 'e2e', 'slos']);
    expect(p.indexes).toEqual([[4, 8, 16, 32, 64, 128, 256, 512], [128, 256, 512, 1024, 2048]]);
    expect(p.slos).toEqual({ percentile: 99, e2e: 5.0 });
    expect(p.tputs![7]).toEqual([0, 0, 0, 0, 0]);
  });

  it('writes a constructed profile in the same layout', () => {
    const p: AibrixProfile = {
      gpu: 'l20',
      cost: 1,
      tputs: [[2.5, 0]],
      indexes: [[4], [128, 256]],
      created: 1700000000,
      e2e: [[0.00001, 1e16]],
      slos: { percentile: 99, tpot: 0.05, ttft: 1 },
    };
    expect(serializeAibrixProfile(p)).toBe(
      '{"gpu": "l20", "cost": 1.0, "tputs": [[2.5, 0.0]], "indexes": [[4], [128, 256]], "created": 1700000000.0, ' +
        '"e2e": [[1e-05, 1e+16]], "slos": {"percentile": 99, "tpot": 0.05, "ttft": 1.0}}',
    );
    expect(serializeAibrixProfile(parseAibrixProfile(serializeAibrixProfile(p)))).toBe(serializeAibrixProfile(p));
  });

  it('formats floats and strings exactly as Python repr / json.dumps', () => {
    const cases: Array<[number, string]> = [
      [1, '1.0'], [0, '0.0'], [-0, '-0.0'], [0.1, '0.1'], [1e-5, '1e-05'], [0.0001, '0.0001'],
      [1.5e-7, '1.5e-07'], [1e16, '1e+16'], [1.2345678901234568e17, '1.2345678901234568e+17'],
      [123456789.125, '123456789.125'], [5e-324, '5e-324'], [1e22, '1e+22'], [100, '100.0'],
      [1e15, '1000000000000000.0'], [9999999999999998, '9999999999999998.0'], [-2.5e-5, '-2.5e-05'],
      [NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity'],
    ];
    for (const [x, s] of cases) expect(pyFloat(x), String(x)).toBe(s);
    expect(pyString('a\u00e9"\\\n\x7f\x01')).toBe('"a\\u00e9\\"\\\\\\n\\u007f\\u0001"');
  });
});

describe('profile lookup', () => {
  const t = new ProfileTable(parseAibrixProfile(A100));

  it('snaps to the nearest tick in log2 space, clamped', () => {
    expect(t.outIndex(1)).toBe(0); // cold-start prediction 1 -> smallest tick (4)
    expect(t.outIndex(5)).toBe(0); // log2 5 = 2.32 < 2.5
    expect(t.outIndex(6)).toBe(1); // log2 6 = 2.58 >= 2.5 -> 8
    expect(t.outIndex(8)).toBe(1); // exact tick
    expect(t.outIndex(1000)).toBe(7); // above the last tick
    expect(t.inIndex(181)).toBe(0); // log2 181 = 7.4998 -> 128
    expect(t.inIndex(182)).toBe(1); // log2 182 = 7.5078 -> 256
    expect(t.inIndex(3000)).toBe(4);
    expect(t.inIndex(0)).toBe(0);
    expect(nearestTick(Float64Array.from([5]), 1e9)).toBe(0); // one tick: always index 0
  });

  it('reads tables [out][in]', () => {
    expect(t.lookup('tputs', 4, 2048)).toBeCloseTo(10.576066548045315, 12);
    expect(t.lookup('e2e', 4, 2048)).toBeCloseTo(0.18036738844846645, 12);
    expect(t.lookup('tputs', 512, 128)).toBe(0);
    expect(t.lookup('ttft', 4, 128)).toBeUndefined();
  });

  it('chooses the SLO by AIBrix priority tpot > ttft > tpat > e2e', () => {
    expect(chosenSlo({ e2e: 5, tpat: 0.1 })).toBe('tpat');
    expect(chosenSlo({ e2e: 5, ttft: 1, tpot: 0.05 })).toBe('tpot');
    expect(chosenSlo({ percentile: 99 })).toBeUndefined();
  });
});

describe('profile validation', () => {
  const base = () => JSON.parse(A100) as Record<string, unknown>;
  const fieldOf = (v: unknown): string | undefined => {
    try {
      parseAibrixProfile(v, 'p.json');
    } catch (e) {
      expect(e).toBeInstanceOf(ProfileFormatError);
      return (e as ProfileFormatError).field;
    }
    return undefined;
  };

  it('names the missing or mistyped field', () => {
    const noGpu = base();
    delete noGpu.gpu;
    expect(fieldOf(noGpu)).toBe('gpu');
    const noIdx = base();
    delete noIdx.indexes;
    expect(fieldOf(noIdx)).toBe('indexes');
    expect(fieldOf({ ...base(), cost: '1' })).toBe('cost');
    expect(fieldOf({ ...base(), tputs: 'x' })).toBe('tputs');
    const badCell = base();
    (badCell.e2e as unknown[][])[2][3] = 'slow';
    expect(fieldOf(badCell)).toBe('e2e[2][3]');
    expect(fieldOf({ ...base(), indexes: [[4, 8]] })).toBe('indexes');
    expect(fieldOf({ ...base(), indexes: [[8, 4, 16, 32, 64, 128, 256, 512], [128, 256, 512, 1024, 2048]] })).toBe('indexes[0][1]');
    expect(fieldOf({ ...base(), slos: { percentile: 99.5 } })).toBe('slos.percentile');
    const shortRow = base();
    (shortRow.tputs as number[][])[1] = [1, 2];
    expect(fieldOf(shortRow)).toBe('tputs[1]');
    expect(fieldOf([1, 2])).toBe('(root)');
  });

  it('reports JSON syntax errors with line and column', () => {
    try {
      parseAibrixProfile('{"gpu": "x",\n "cost": }', 'bad.json');
      expect.unreachable();
    } catch (e) {
      expect((e as ProfileFormatError).format()).toBe('bad.json: line 2, column 10: invalid JSON: unexpected character "}"');
    }
  });

  it('warns about zero-throughput buckets, a missing e2e table and no SLO, as AIBrix would behave', () => {
    const warnings: string[] = [];
    parseAibrixProfile(A100, 'a100.json', (m) => warnings.push(m));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('6 of 40 buckets have tputs 0');
    expect(warnings[0]).toContain('ErrorSLOFailureRequest');
    const w40: string[] = [];
    parseAibrixProfile(A40, 'a40.json', (m) => w40.push(m));
    expect(w40.some((m) => m.includes('no "e2e" table') && m.includes('FIFO + least-request'))).toBe(true);
    expect(w40.some((m) => m.includes('no SLO target'))).toBe(true);
  });

  it('accepts NaN cells but marks the profile unloadable, and ProfileSet skips it', () => {
    const text = A100.replace('0.08167999999999999', 'NaN');
    const warnings: string[] = [];
    const p = parseAibrixProfile(text, 'nan.json', (m) => warnings.push(m));
    expect(Number.isNaN(p.e2e![0][0])).toBe(true);
    expect(profileIssues(p)[0]).toContain('NaN at e2e[0][0]');
    const set = new ProfileSet();
    expect(set.add('llama', 'A100', p, (m) => warnings.push(m))).toBe(false);
    expect(set.get('A100')).toBeUndefined();
    expect(serializeAibrixProfile(p)).toBe(text); // still written back as Python would
  });

  it('ProfileSet keeps the newest profile per (model, GPU type) and resolves the model', () => {
    const set = new ProfileSet();
    const p = parseAibrixProfile(A100);
    set.add('llama', 'A100', { ...p, created: 2, cost: 2 });
    set.add('llama', 'A100', { ...p, created: 1, cost: 1 });
    expect(set.get('A100')!.profile.cost).toBe(2);
    expect(set.get('A100', 'llama')!.profile.cost).toBe(2);
    set.add('qwen', 'A100', p);
    expect(set.get('A100')).toBeUndefined(); // two models: the model must be named
    expect(() => set.resolveModel(undefined, 'slo')).toThrow(/several models \(llama, qwen\)/);
    // AIBrix's lookup is exact: a model with no profiles is a miss (empty), not an error.
    expect(set.resolveModel('mistral', 'slo').size).toBe(0);
  });
});
