import { describe, expect, it } from 'vitest';
import { createPolicy, type RoutingPolicy, type ScoringPolicy } from '../../src/routing/index.js';
import { endpoint, histogram, makeCtx, request } from './helpers.js';

const scores = (p: RoutingPolicy, r: ReturnType<typeof request>, eps: ReturnType<typeof endpoint>[], ctx = makeCtx()) => {
  const s = new Float64Array(eps.length);
  (p as ScoringPolicy).scoreAll(r, eps, ctx, s, new Uint8Array(eps.length));
  return [...s];
};

describe('AIBrix prefix-cache', () => {
  const opts = { blockTokens: 16 };
  const eps3 = () => [endpoint(0), endpoint(1), endpoint(2)];

  it('match% = floor(100 x consecutive held blocks / prompt blocks), unique tail blocks included', () => {
    const eps = eps3();
    const p = createPolicy('prefix-cache', opts);
    const ctx = makeCtx();
    p.onDispatch!(request(1, { promptTokens: 64, prefixHashes: [1, 2, 3, 4] }), eps[0], ctx);
    p.onDispatch!(request(2, { promptTokens: 32, prefixHashes: [1, 2] }), eps[1], ctx);
    // 4 shared blocks + 4 unique ones (128 tokens = 8 blocks): e0 holds 4 -> 50, e1 holds 2 -> 25
    expect(scores(p, request(3, { promptTokens: 128, prefixHashes: [1, 2, 3, 4] }), eps)).toEqual([50, 25, 0]);
    expect(scores(p, request(4, { promptTokens: 60, prefixHashes: [1, 2, 3] }), eps)).toEqual([100, 66, 0]); // 3 blocks
    expect(scores(p, request(5, { promptTokens: 15, prefixHashes: [] }), eps)).toEqual([0, 0, 0]); // no full block
    expect(p.select(request(3, { promptTokens: 128, prefixHashes: [1, 2, 3, 4] }), eps, ctx)).toBe(eps[0]);
  });

  it('a pod holding the first block of a long prompt matches at 0 % and is still preferred to least-request', () => {
    const eps = eps3();
    const p = createPolicy('prefix-cache', opts);
    const ctx = makeCtx();
    p.onDispatch!(request(1, { promptTokens: 16, prefixHashes: [1] }), eps[1], ctx);
    // e1 holds 1 of 101 blocks: floor(100 / 101) = 0 %; e0 is less loaded but holds nothing.
    eps[1].counters.inflight = 2;
    eps[2].counters.inflight = 2;
    const long = request(2, { promptTokens: 101 * 16, prefixHashes: [1] });
    expect(scores(p, long, eps)).toEqual([0, 0, 0]);
    expect(histogram(50, () => p.select(long, eps, ctx)).get(1)).toBe(50);
  });

  it('prefers the best match whose load is within mean + factor x sample std, else least-request', () => {
    const eps = eps3();
    eps[0].counters.inflight = 10;
    const r = request(9, { promptTokens: 64, prefixHashes: [1, 2, 3, 4] });
    const ctx = makeCtx(3);
    for (const [factor, want] of [[2, 0], [1, -1]] as const) {
      const p = createPolicy('prefix-cache', { ...opts, stdDevFactor: factor });
      p.onDispatch!(r, eps[0], ctx);
      // counts [10, 0, 0]: mean 3.33, std 5.77: factor 2 -> limit 14.9 (e0 ok); factor 1 -> 9.1 (not ok)
      const h = histogram(400, () => p.select(r, eps, ctx));
      if (want === 0) expect(h.get(0)).toBe(400);
      else {
        expect(h.get(0)).toBeUndefined();
        expect(h.get(1)! > 100 && h.get(2)! > 100).toBe(true);
      }
    }
  });

  it('restricts the candidates to the least loaded when max - min > imbalanceAbsCount (16)', () => {
    const eps = eps3();
    eps[0].counters.inflight = 20;
    eps[1].counters.inflight = 3;
    eps[2].counters.inflight = 3;
    const r = request(9, { promptTokens: 64, prefixHashes: [1, 2, 3, 4] });
    const ctx = makeCtx(5);
    const p = createPolicy('prefix-cache', opts);
    p.onDispatch!(r, eps[0], ctx);
    p.onDispatch!(request(8, { promptTokens: 64, prefixHashes: [1, 2] }), eps[2], ctx);
    expect(histogram(100, () => p.select(r, eps, ctx)).get(2)).toBe(100); // e2 matches 50% among {e1, e2}
    const loose = createPolicy('prefix-cache', { ...opts, imbalanceAbsCount: 20 });
    loose.onDispatch!(r, eps[0], ctx);
    expect(loose.select(r, eps, ctx)).toBe(eps[0]); // limit 8.67 + 2 x 9.81 = 28.3
  });

  it('evicts blocks idle for 20 minutes and beyond the LRU capacity', () => {
    const eps = eps3();
    const ctx = makeCtx();
    const p = createPolicy('prefix-cache', opts);
    const r = request(1, { promptTokens: 64, prefixHashes: [1, 2, 3, 4] });
    p.onDispatch!(r, eps[1], ctx);
    ctx.t = 1200;
    expect(scores(p, r, eps, ctx)[1]).toBe(100);
    ctx.t = 1200.5;
    expect(scores(p, r, eps, ctx)[1]).toBe(0);

    const small = createPolicy('prefix-cache', { ...opts, capacityBlocks: 6 });
    ctx.t = 0;
    small.onDispatch!(request(1, { promptTokens: 64, prefixHashes: [1, 2, 3, 4] }), eps[0], ctx);
    // 2 shared blocks + 2 unique ones: 8 > 6, the two oldest blocks (1, 2) go
    small.onDispatch!(request(2, { promptTokens: 64, prefixHashes: [7, 8] }), eps[1], ctx);
    expect(scores(small, r, eps, ctx)[0]).toBe(0); // block 1 gone: no consecutive match
  });

  it('maps AIBrix block size onto request hash blocks (128 characters = 32 tokens over 16-token hashes by default)', () => {
    const eps = eps3();
    const ctx = makeCtx();
    const p = createPolicy('prefix-cache', { blockTokens: 32 });
    p.onDispatch!(request(1, { promptTokens: 64, prefixHashes: [1, 2, 3, 4] }), eps[0], ctx);
    // 32-token blocks are hashes [2, 4]; this prompt's are [2, 6]: 1 of 2 blocks
    expect(scores(p, request(2, { promptTokens: 64, prefixHashes: [1, 2, 5, 6] }), eps, ctx)[0]).toBe(50);
    const d = createPolicy('prefix-cache');
    const first16 = Array.from({ length: 16 }, (_, i) => i + 1);
    d.onDispatch!(request(1, { promptTokens: 300, prefixHashes: first16 }), eps[1], ctx);
    // Deployed AIBrix: 128-byte blocks of the character tokenizer = 32 tokens. 300 tokens = 9
    // blocks, 8 of them shared (hashes 2, 4, ..., 16): floor(100 x 8 / 9) = 88.
    expect(scores(d, request(2, { promptTokens: 300, prefixHashes: first16 }), eps, ctx)[1]).toBe(88);
    // A prompt sharing only its first 64 tokens matches 2 of 9 blocks (128-token blocks: none).
    const diverging = [1, 2, 3, 4, ...Array.from({ length: 12 }, (_, i) => 100 + i)];
    expect(scores(d, request(3, { promptTokens: 300, prefixHashes: diverging }), eps, ctx)[1]).toBe(22);
    const tok = createPolicy('prefix-cache', { blockChars: 512 }); // 128 tokens
    tok.onDispatch!(request(1, { promptTokens: 300, prefixHashes: first16 }), eps[1], ctx);
    expect(scores(tok, request(3, { promptTokens: 300, prefixHashes: diverging }), eps, ctx)[1]).toBe(0);
    const odd = createPolicy('prefix-cache', { blockTokens: 24 });
    odd.select(request(3, { promptTokens: 64 }), eps, ctx);
    expect(ctx.warnings[0]).toMatch(/24-token blocks are approximated by 32-token blocks/);
  });
});
