import { describe, expect, it } from 'vitest';
import {
  RoutingConfigError,
  StrategyFormatError,
  UnknownPolicyError,
  createMultiStrategy,
  createPolicy,
  isScoringPolicy,
  normalizeInPlace,
  parseStrategy,
  type ScoringPolicy,
} from '../../src/routing/index.js';
import { blendedScores } from '../../src/routing/multi-strategy.js';
import { endpoint, histogram, makeCtx, request } from './helpers.js';

describe('AIBrix multi-strategy parsing', () => {
  it('parses names and integer weights, default 1, dropping 0', () => {
    expect(parseStrategy('prefix-cache:2, least-latency:1 ,least-request')).toEqual([
      { name: 'prefix-cache', weight: 2 },
      { name: 'least-latency', weight: 1 },
      { name: 'least-request', weight: 1 },
    ]);
    expect(parseStrategy('random:0,least-request:+5')).toEqual([{ name: 'least-request', weight: 5 }]);
    expect(parseStrategy(' least-request : 1000000 ')).toEqual([{ name: 'least-request', weight: 1000000 }]);
  });

  it('keeps only the first exclusive strategy (pd, slo*)', () => {
    expect(parseStrategy('least-request:2,slo-pack-load,pd')).toEqual([{ name: 'slo-pack-load', weight: 1 }]);
    expect(parseStrategy('pd:3,slo')).toEqual([{ name: 'pd', weight: 1 }]);
    expect(parseStrategy('slo:0,least-request')).toEqual([{ name: 'least-request', weight: 1 }]);
  });

  it('rejects malformed strings the way AIBrix does', () => {
    const bad: Array<[string, RegExp]> = [
      ['', /empty routing algorithm/],
      ['a,,b', /empty algorithm name/],
      [':3', /empty algorithm name in: :3/],
      ['a:b:c', /invalid algorithm format: a:b:c/],
      ['least-request:x', /must be an integer/],
      ['least-request:1.5', /must be an integer/],
      ['least-request:', /must be an integer/],
      ['least-request:-1', /out of bounds \[0, 1000000\]/],
      ['least-request:1000001', /out of bounds/],
      ['random:0,least-request:0', /all weight coefficients were 0/],
    ];
    for (const [s, re] of bad) {
      expect(() => parseStrategy(s), s).toThrow(StrategyFormatError);
      expect(() => parseStrategy(s), s).toThrow(re);
    }
  });

  it('createPolicy: unknown names list the known ones; non-scorers cannot be blended', () => {
    expect(() => createPolicy('prefix-cache:2,least-requests')).toThrow(UnknownPolicyError);
    expect(() => createPolicy('prefix-cache:2,least-requests')).toThrow(/known policies: .*least-request/);
    expect(() => createPolicy('random,least-request')).toThrow(RoutingConfigError);
    expect(() => createPolicy('random,least-request')).toThrow(/"random" cannot be combined/);
    expect(createPolicy('least-request:5').name).toBe('least-request');
    expect(createPolicy('least-request:2,slo').name).toBe('slo');
  });
});

describe('AIBrix multi-strategy scoring', () => {
  it('normalizes per polarity: min-max, 1 when all equal, 0 when unscored or non-finite', () => {
    const s = Float64Array.from([2, 4, 6, 1]);
    normalizeInPlace(s, Uint8Array.from([1, 1, 1, 0]), 4, 'least');
    expect([...s]).toEqual([1, 0.5, 0, 0]);
    const m = Float64Array.from([10, 30, Infinity]);
    normalizeInPlace(m, Uint8Array.from([1, 1, 1]), 3, 'most');
    expect([...m]).toEqual([0, 1, 0]);
    const eq = Float64Array.from([3, 3]);
    normalizeInPlace(eq, Uint8Array.from([1, 1]), 2, 'least');
    expect([...eq]).toEqual([1, 1]);
  });

  it('blends weighted normalized scores (hand-computed) and picks the maximum', () => {
    const eps = [
      endpoint(0, { inflight: 2, kvUsage: 0.5 }),
      endpoint(1, { inflight: 4, kvUsage: 0.1 }),
      endpoint(2, { inflight: 6, kvUsage: 0.3 }),
    ];
    const p = createPolicy('least-request:3,least-kv-cache:1');
    expect(isScoringPolicy(p)).toBe(true);
    const ctx = makeCtx(1);
    // least-request [1, 0.5, 0] x 3/4 + least-kv-cache [0, 1, 0.5] x 1/4
    const got = blendedScores(p as ScoringPolicy, request(1), eps, ctx);
    expect(got[0]).toBeCloseTo(0.75, 12);
    expect(got[1]).toBeCloseTo(0.625, 12);
    expect(got[2]).toBeCloseTo(0.125, 12);
    expect(p.select(request(1), eps, ctx)!.index).toBe(0);
    // Unscored endpoint (no KV metric) normalizes to 0 for that strategy.
    eps[1].metrics.kvUsage = Number.NaN;
    const got2 = blendedScores(p as ScoringPolicy, request(1), eps, ctx);
    expect(got2[1]).toBeCloseTo(0.375, 12); // 0.5 x 0.75 + 0
    expect(got2[2]).toBeCloseTo(0.25, 12); // 0 + 1 x 0.25 (kv 0.3 is now the minimum)
  });

  it('takes the first endpoint (in shuffled order) within 1e-9 of the running maximum', () => {
    const fixed = (raw: number[]): ScoringPolicy => ({
      name: 'fixed',
      polarity: 'most',
      select: () => undefined,
      scoreAll(_r, eps, _c, scores, scored) {
        for (let i = 0; i < eps.length; i++) {
          scores[i] = raw[i];
          scored[i] = 1;
        }
      },
    });
    const eps = [endpoint(0), endpoint(1), endpoint(2)];
    const ctx = makeCtx(9);
    const near = createMultiStrategy('t', [{ name: 'a', weight: 1 }, { name: 'b', weight: 1 }], [fixed([1, 1 + 4e-10, 0]), fixed([1, 1, 0])]);
    const h = histogram(2000, () => near.select(request(1), eps, ctx));
    expect(h.get(0)! + h.get(1)!).toBe(2000);
    expect(h.get(0)!).toBeGreaterThan(800); // a tie: either, by shuffled position
    expect(h.get(1)!).toBeGreaterThan(800);
    const far = createMultiStrategy('t', [{ name: 'a', weight: 1 }, { name: 'b', weight: 1 }], [fixed([1, 1 + 4e-9, 0]), fixed([1, 1, 0])]);
    expect(histogram(200, () => far.select(request(1), eps, ctx)).get(1)).toBe(200);
  });

  it('runs post-route updates of every strategy (prefix-cache indexes the prompt)', () => {
    const eps = [endpoint(0), endpoint(1), endpoint(2)];
    const p = createPolicy('prefix-cache:1,least-request:1', { 'prefix-cache': { blockTokens: 16 } });
    const ctx = makeCtx(4);
    const r = request(1, { promptTokens: 64, prefixHashes: [11, 12, 13, 14], hashBlockTokens: 16 });
    const e = p.select(r, eps, ctx)!;
    p.onDispatch!(r, e, ctx);
    e.counters.inflight++;
    // Another endpoint now has fewer requests; prefix 100% on e vs 0 elsewhere: 0.5 + 0 vs 0 + 0.5.
    const scores = blendedScores(p as ScoringPolicy, request(2, { promptTokens: 64, prefixHashes: [11, 12, 13, 14] }), eps, ctx);
    expect(scores[e.index]).toBeCloseTo(0.5, 12);
    for (const other of eps) if (other !== e) expect(scores[other.index]).toBeCloseTo(0.5, 12);
  });
});
