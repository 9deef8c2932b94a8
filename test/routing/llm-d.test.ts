import { describe, expect, it } from 'vitest';
import { RoutingConfigError, createPolicy } from '../../src/routing/index.js';
import { endpoint, histogram, makeCtx, request } from './helpers.js';

describe('llm-d endpoint picker', () => {
  it('default weights queue 2, kv-cache 2, prefix 3 over scraped metrics (hand-computed)', () => {
    const eps = [
      endpoint(0, { waiting: 0, kvUsage: 0.5 }), // 2 x 1 + 2 x 0.5 = 3
      endpoint(1, { waiting: 10, kvUsage: 0.1 }), // 2 x 0 + 2 x 0.9 = 1.8
      endpoint(2, { waiting: 5, kvUsage: 0.9 }), // 2 x 0.5 + 2 x 0.1 = 1.2
    ];
    const p = createPolicy('llm-d');
    const ctx = makeCtx();
    const r = request(1, { promptTokens: 64, prefixHashes: [1, 2, 3, 4] });
    expect(p.select(r, eps, ctx)).toBe(eps[0]);
    p.onDispatch!(r, eps[1], ctx); // prefix now fully on e1: 1.8 + 3 x 1 = 4.8
    expect(p.select(request(2, { promptTokens: 64, prefixHashes: [1, 2, 3, 4] }), eps, ctx)).toBe(eps[1]);
    // half the blocks (2 of 4 here, 64 tokens): 1.8 + 3 x 0.5 = 3.3 > 3
    expect(p.select(request(3, { promptTokens: 64, prefixHashes: [1, 2, 9, 9] }), eps, ctx)).toBe(eps[1]);
    // 2 of 8 blocks: 1.8 + 0.75 < 3
    expect(p.select(request(4, { promptTokens: 128, prefixHashes: [1, 2] }), eps, ctx)).toBe(eps[0]);
  });

  it('counts every block an endpoint holds until a block nobody holds', () => {
    const eps = [endpoint(0), endpoint(1), endpoint(2)];
    const p = createPolicy('llm-d', { weights: { 'queue-scorer': 0, 'kv-cache-utilization-scorer': 0 } });
    const ctx = makeCtx();
    p.onDispatch!(request(1, { promptTokens: 32, prefixHashes: [1, 2] }), eps[0], ctx);
    p.onDispatch!(request(2, { promptTokens: 64, prefixHashes: [1, 2, 3, 4] }), eps[2], ctx);
    expect(p.select(request(3, { promptTokens: 64, prefixHashes: [1, 2, 3, 4] }), eps, ctx)).toBe(eps[2]);
    expect(histogram(300, () => p.select(request(3, { promptTokens: 15, prefixHashes: [] }), eps, ctx)).size).toBe(3); // all 0: random
  });

  it('active-request scorer: 1 when idle, else (max - c) / max; weights accept llm-d names', () => {
    const eps = [endpoint(0, { inflight: 3 }), endpoint(1, { inflight: 0, waiting: 50 }), endpoint(2, { inflight: 6 })];
    const p = createPolicy('llm-d', { weights: { 'queue-scorer': 0, 'kv-cache-utilization-scorer': 0, 'prefix-cache-scorer': 0, 'active-request-scorer': 1 } });
    expect(p.select(request(1), eps, makeCtx())).toBe(eps[1]);
    expect(() => createPolicy('llm-d', { weights: { 'load-aware-scorer': 1 } })).toThrow(RoutingConfigError);
    expect(() => createPolicy('llm-d', { weights: { queue: -1 } })).toThrow(/non-negative/);
  });

  it('evicts from the per-endpoint LRU and the index', () => {
    const eps = [endpoint(0), endpoint(1)];
    const p = createPolicy('llm-d', { lruCapacity: 4, weights: { queue: 0, kvCache: 0 } }); // no kvBlocks reported: lruCapacity
    const ctx = makeCtx(2);
    p.onDispatch!(request(1, { promptTokens: 64, prefixHashes: [1, 2, 3, 4] }), eps[0], ctx);
    p.onDispatch!(request(2, { promptTokens: 32, prefixHashes: [5, 6] }), eps[0], ctx); // evicts 1 and 2
    const h = histogram(200, () => p.select(request(3, { promptTokens: 64, prefixHashes: [1, 2, 3, 4] }), eps, ctx));
    expect(h.get(0)! > 50 && h.get(1)! > 50).toBe(true); // no match anywhere: a tie
  });

  it('autoTune (default): each endpoint\'s LRU holds its KV block count; autoTune false uses lruCapacity', () => {
    const prompt = (id: number, hashes: number[]) => request(id, { promptTokens: hashes.length * 16, prefixHashes: hashes });
    const matches = (opts: Record<string, unknown>, kvBlocks: number) => {
      const eps = [endpoint(0, { kvBlocks }), endpoint(1, { kvBlocks })];
      const p = createPolicy('llm-d', { ...opts, weights: { queue: 0, kvCache: 0 } });
      const ctx = makeCtx(3);
      p.onDispatch!(prompt(1, [1, 2, 3, 4]), eps[0], ctx);
      p.onDispatch!(prompt(2, [5, 6]), eps[0], ctx); // 6 blocks on endpoint 0
      // Endpoint 0 still holding blocks 1-4 wins every time; evicted, the two tie.
      const h = histogram(200, () => p.select(prompt(3, [1, 2, 3, 4]), eps, ctx));
      return h.get(0) === 200;
    };
    expect(matches({}, 4)).toBe(false); // 4 KV blocks: blocks 1 and 2 were evicted
    expect(matches({}, 6)).toBe(true);
    expect(matches({ lruCapacity: 4 }, 6)).toBe(true); // the reported block count wins over lruCapacity
    expect(matches({ autoTune: false, lruCapacity: 4 }, 6)).toBe(false);
    expect(matches({ autoTune: false }, 4)).toBe(true); // 31250
  });
});
