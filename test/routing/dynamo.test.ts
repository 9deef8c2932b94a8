import { describe, expect, it } from 'vitest';
import { createPolicy } from '../../src/routing/index.js';
import { endpoint, histogram, makeCtx, request } from './helpers.js';

describe('Dynamo KV router cost', () => {
  const r1 = request(1, { promptTokens: 64, prefixHashes: [1, 2, 3, 4] }); // 4 blocks, all shared
  const r2 = request(2, { promptTokens: 96, prefixHashes: [1, 2, 3, 4] }); // 6 blocks, 4 shared

  it('cost = adjusted prefill blocks + decode blocks, with overlap credit (hand-computed)', () => {
    const eps = [endpoint(0), endpoint(1)];
    const p = createPolicy('dynamo-kv');
    const ctx = makeCtx(3);
    // Empty state: cost 4 + 4 on both: a uniform tie.
    const h = histogram(400, () => p.select(r1, eps, ctx));
    expect(h.get(0)! > 150 && h.get(1)! > 150).toBe(true);
    p.onDispatch!(r1, eps[0], ctx);
    // e0: prefill 4 + 6 - overlap 4 = 6, decode 4 active + 2 new = 6 -> 12; e1: 6 + 6 = 12
    const tie = histogram(400, () => p.select(r2, eps, ctx));
    expect(tie.get(0)! > 150 && tie.get(1)! > 150).toBe(true);
    p.onFirstToken!(r1, eps[0], ctx); // r1's prefill is done: e0 = (0 + 6 - 4) + 6 = 8
    expect(histogram(50, () => p.select(r2, eps, ctx)).get(0)).toBe(50);
    ctx.t = 121; // the approximate index forgets after 120 s: e0 = 6 + 6 = 12 again
    const later = histogram(400, () => p.select(r2, eps, ctx));
    expect(later.get(0)! > 150 && later.get(1)! > 150).toBe(true);
  });

  it('releases active blocks at completion', () => {
    const eps = [endpoint(0), endpoint(1)];
    const p = createPolicy('dynamo-kv');
    const ctx = makeCtx(3);
    p.onDispatch!(r1, eps[0], ctx);
    p.onDispatch!(request(3, { promptTokens: 64, prefixHashes: [7, 8, 9, 10] }), eps[1], ctx);
    p.onComplete!(r1, eps[0], { outputTokens: 1, ttft: 0, e2e: 1 }, ctx);
    // e0: prefill 0 + 4 - 4 = 0, decode 0 + 4 = 4 -> 4; e1: (4 + 4) + (4 + 4) = 16
    expect(p.select(r1, eps, ctx)).toBe(eps[0]);
  });

  it('temperature > 0 samples softmax over min-max normalized costs', () => {
    const eps = [endpoint(0), endpoint(1)];
    const p = createPolicy('dynamo-kv', { temperature: 1 });
    const ctx = makeCtx(8);
    p.onDispatch!(r1, eps[0], ctx);
    p.onFirstToken!(r1, eps[0], ctx); // costs 8 vs 12 -> normalized 0 vs 1
    const h = histogram(4000, () => p.select(r2, eps, ctx));
    const share = h.get(0)! / 4000;
    expect(share).toBeGreaterThan(0.7);
    expect(share).toBeLessThan(0.76); // 1 / (1 + e^-1) = 0.731
  });

  it('legacy overlapScoreWeight 0 removes the prefill term and the credit', () => {
    const eps = [endpoint(0), endpoint(1)];
    const p = createPolicy('dynamo-kv', { overlapScoreWeight: 0 });
    const ctx = makeCtx(8);
    p.onDispatch!(request(5, { promptTokens: 64, prefixHashes: [20, 21, 22, 23] }), eps[1], ctx);
    // e0 decode 6; e1 decode 4 + 6 = 10 (no shared blocks with r2)
    expect(p.select(r2, eps, ctx)).toBe(eps[0]);
  });
});
