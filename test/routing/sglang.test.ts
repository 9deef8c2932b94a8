import { describe, expect, it } from 'vitest';
import { createPolicy } from '../../src/routing/index.js';
import { ApproxPrefixTree } from '../../src/routing/policies/sglang-cache-aware.js';
import { endpoint, makeCtx, request } from './helpers.js';

describe('SGLang round_robin', () => {
  it('advances one counter over the current candidate list', () => {
    const eps = [endpoint(0), endpoint(1), endpoint(2)];
    const p = createPolicy('round_robin');
    const ctx = makeCtx();
    const seq = [0, 1, 2, 3].map(() => p.select(request(1), eps, ctx)!.index);
    expect(seq).toEqual([0, 1, 2, 0]);
    // count is now 4; over two candidates: 4 % 2 = 0 -> eps[0], then 5 % 2 = 1
    expect(p.select(request(1), [eps[0], eps[2]], ctx)!.index).toBe(0);
    expect(p.select(request(1), [eps[0], eps[2]], ctx)!.index).toBe(2);
    expect(createPolicy('round-robin').name).toBe('round_robin');
  });
});

describe('SGLang power_of_two', () => {
  it('samples two distinct workers and takes the lower cached load, the first on a tie', () => {
    const eps = [endpoint(0, { numTokens: 500 }), endpoint(1, { numTokens: 100 }), endpoint(2, { numTokens: 500 })];
    const p = createPolicy('power_of_two');
    const ctx = makeCtx();
    const pick = (a: number, b: number) => {
      ctx.script = [a, b];
      return p.select(request(1), eps, ctx)!.index;
    };
    // i1 = floor(a x 3), i2 = (i1 + 1 + floor(b x 2)) % 3
    expect(pick(0.1, 0.1)).toBe(1); // 0 vs 1: 500 > 100
    expect(pick(0.1, 0.9)).toBe(0); // 0 vs 2: tie -> first
    expect(pick(0.9, 0.1)).toBe(2); // 2 vs 0: tie -> first (2)
  });

  it('without numTokens compares 0 (random, warned); load "token_usage" compares KV usage (SMG)', () => {
    const eps = [endpoint(0, { kvUsage: 0.9 }), endpoint(1, { kvUsage: 0.1 })];
    const ctx = makeCtx();
    ctx.script = [0.1, 0.5];
    expect(createPolicy('power_of_two').select(request(1), eps, ctx)!.index).toBe(0);
    expect(ctx.warnings[0]).toMatch(/no numTokens/);
    ctx.script = [0.1, 0.5];
    expect(createPolicy('power_of_two', { load: 'token_usage' }).select(request(1), eps, ctx)!.index).toBe(1);
    for (const e of eps) e.metrics.updatedAt = Number.NaN; // no snapshot yet: loads compare as 0
    ctx.script = [0.1, 0.5];
    expect(createPolicy('power_of_two', { load: 'token_usage' }).select(request(1), eps, ctx)!.index).toBe(0);
  });
});

describe('SGLang cache_aware', () => {
  const req = (id: number, hashes: number[], promptTokens = hashes.length * 16) =>
    request(id, { prefixHashes: hashes, promptTokens, hashBlockTokens: 16 });

  it('goes to the least loaded worker (first minimum) when imbalanced by both thresholds', () => {
    const eps = [endpoint(0, { inflight: 100 }), endpoint(1, { inflight: 10 }), endpoint(2, { inflight: 10 })];
    const p = createPolicy('cache_aware');
    const ctx = makeCtx();
    p.onDispatch!(req(1, [1, 2, 3, 4]), eps[0], ctx);
    expect(p.select(req(2, [1, 2, 3, 4]), eps, ctx)).toBe(eps[1]); // 90 > 64 and 100 > 15
    eps[0].counters.inflight = 70; // 60 <= 64: balanced, the cache wins
    expect(p.select(req(2, [1, 2, 3, 4]), eps, ctx)).toBe(eps[0]);
    eps[0].counters.inflight = 200;
    eps[1].counters.inflight = 135; // 65 > 64 but 200 <= 135 x 1.5: balanced
    eps[2].counters.inflight = 135;
    expect(p.select(req(2, [1, 2, 3, 4]), eps, ctx)).toBe(eps[0]);
  });

  it('needs match rate > cache_threshold (0.3); a miss goes to the least loaded worker', () => {
    const eps = [endpoint(0, { inflight: 5 }), endpoint(1, { inflight: 2 }), endpoint(2, { inflight: 3 })];
    const p = createPolicy('cache_aware');
    const ctx = makeCtx();
    p.onDispatch!(req(1, [1, 2]), eps[2], ctx);
    expect(p.select(req(2, [1, 2], 100), eps, ctx)).toBe(eps[2]); // 32 / 100 > 0.3
    expect(p.select(req(3, [1, 2], 107), eps, ctx)).toBe(eps[1]); // 32 / 107 < 0.3: miss
    expect(p.select(req(4, [9], 100), eps, ctx)).toBe(eps[1]);
  });

  it('returns the creator of the deepest matched node (herding), not the least loaded holder', () => {
    const t = new ApproxPrefixTree();
    t.insert([1, 2], 16, 0);
    t.insert([1, 2, 3], 16, 1);
    expect(t.match([1, 2])).toBe(2);
    expect(t.matchedTenant).toBe(0);
    expect(t.match([1, 2, 3, 4])).toBe(3);
    expect(t.matchedTenant).toBe(1);
    expect(t.tenantTokens.get(1)).toBe(48);
  });

  it('evicts a tenant over max_tree_size, oldest leaves first, at the eviction interval', () => {
    const eps = [endpoint(0), endpoint(1)];
    const p = createPolicy('cache_aware', { maxTreeSize: 32, evictionIntervalS: 10 });
    const ctx = makeCtx();
    p.onDispatch!(req(1, [1, 2, 3, 4]), eps[1], ctx);
    ctx.t = 5;
    expect(p.select(req(2, [1, 2, 3, 4]), eps, ctx)).toBe(eps[1]);
    ctx.t = 10;
    p.select(req(3, [7]), eps, ctx); // eviction runs: tenant 1 holds 64 tokens > 32
    const t = new ApproxPrefixTree();
    t.insert([1, 2, 3, 4], 16, 1);
    t.evict(32, 16);
    expect(t.match([1, 2, 3, 4])).toBe(2);
    expect(t.tenantTokens.get(1)).toBe(32);
    // Through the policy: 2 of 4 blocks left = 32 / 64 = 0.5 > 0.3, still a hit on eps[1]
    eps[1].counters.inflight = 1;
    expect(p.select(req(4, [1, 2, 3, 4]), eps, ctx)).toBe(eps[1]);
    expect(p.select(req(5, [1, 2, 3, 4], 200), eps, ctx)).toBe(eps[0]); // 32 / 200 < 0.3
  });
});
