import { describe, expect, it } from 'vitest';
import { RoutingConfigError, createPdPolicy, createPolicy } from '../../../src/routing/index.js';
import { histogram, makeCtx, request } from '../helpers.js';
import { pdEp } from './pd-helpers.js';

function fleet() {
  const prefill = [pdEp(0, 'prefill'), pdEp(1, 'prefill')];
  const decode = [pdEp(2, 'decode'), pdEp(3, 'decode'), pdEp(4, 'decode')];
  return { prefill, decode };
}

describe('SGLang PD mode (sglang-pd)', () => {
  it('picks prefill and decode independently, each with its own policy instance (two round-robin counters)', () => {
    const { prefill, decode } = fleet();
    const p = createPdPolicy('sglang-pd', { prefill: 'round_robin', decode: 'round_robin' });
    const ctx = makeCtx();
    const picks = [1, 2, 3, 4].map((i) => {
      const pair = p.selectPair(request(i), prefill, decode, ctx)!;
      return `${pair.prefill.id}/${pair.decode.id}`;
    });
    expect(picks).toEqual(['P0/D2', 'P1/D3', 'P0/D4', 'P1/D2']);
  });

  it('cache_aware prefill with random decode; each side has its own prefix tree', () => {
    const { prefill, decode } = fleet();
    const p = createPdPolicy('sglang-pd', { prefill: 'cache_aware', decode: 'random' });
    const ctx = makeCtx(7);
    const r = (id: number) => request(id, { promptTokens: 64, prefixHashes: [1, 2, 3, 4] });
    // Empty tree: match rate 0 -> first least-loaded prefill worker.
    expect(p.selectPair(r(1), prefill, decode, ctx)!.prefill).toBe(prefill[0]);
    p.onDispatch!(r(1), prefill[1], decode[1], ctx); // the prompt now lives on P1 (prefill tree)
    const pairs = Array.from({ length: 300 }, (_, i) => p.selectPair(r(10 + i), prefill, decode, ctx)!);
    expect(pairs.every((x) => x.prefill === prefill[1])).toBe(true);
    const h = histogram(300, () => pairs.pop()!.decode);
    expect([...h.values()].every((n) => n > 60)).toBe(true);

    const both = createPdPolicy('sglang-pd'); // cache_aware on both sides (SGLang's default policy)
    both.onDispatch!(r(1), prefill[1], decode[2], ctx);
    const pair = both.selectPair(r(2), prefill, decode, ctx)!;
    expect(pair.prefill).toBe(prefill[1]);
    expect(pair.decode).toBe(decode[2]);
  });

  it('power_of_two per side compares the cached load (numTokens); option policy sets both defaults', () => {
    const prefill = [pdEp(0, 'prefill', { numTokens: 500 }), pdEp(1, 'prefill', { numTokens: 10 })];
    const decode = [pdEp(2, 'decode', { numTokens: 1 }), pdEp(3, 'decode', { numTokens: 900 })];
    const p = createPdPolicy('sglang-pd', { policy: 'power_of_two' });
    const pair = p.selectPair(request(1), prefill, decode, makeCtx())!;
    expect([pair.prefill.id, pair.decode.id]).toEqual(['P1', 'D2']);
  });

  it('power_of_two load source: each worker its own cached numTokens; without a snapshot the PD router\'s in-flight guards, not 0', () => {
    // Cached loads say P0 is busier; in-flight counts say the opposite: the cache wins while present.
    const prefill = [pdEp(0, 'prefill', { numTokens: 800, inflight: 0 }), pdEp(1, 'prefill', { numTokens: 100, inflight: 9 })];
    const decode = [pdEp(2, 'decode', { numTokens: 50, inflight: 9 }), pdEp(3, 'decode', { numTokens: 700, inflight: 0 })];
    const p = createPdPolicy('sglang-pd', { policy: 'power_of_two' });
    const ctx = makeCtx();
    ctx.script = [0.1, 0.5, 0.1, 0.5]; // each side samples (0, 1) in that order
    let pair = p.selectPair(request(1), prefill, decode, ctx)!;
    expect([pair.prefill.id, pair.decode.id]).toEqual(['P1', 'D2']);
    // No snapshot yet (before the first /get_load poll): worker.load() = in-flight guards.
    for (const e of [...prefill, ...decode]) e.metrics.updatedAt = Number.NaN;
    ctx.script = [0.1, 0.5, 0.1, 0.5];
    pair = p.selectPair(request(2), prefill, decode, ctx)!;
    expect([pair.prefill.id, pair.decode.id]).toEqual(['P0', 'D3']);
    // Behind the regular router the same policy compares 0 and 0: the first sample (index 0) wins.
    ctx.script = [0.5, 0.1];
    expect(createPolicy('power_of_two').select(request(3), decode, ctx)!.id).toBe('D3');
    ctx.script = [0.1, 0.5];
    expect(createPolicy('power_of_two').select(request(3), decode, ctx)!.id).toBe('D2');
  });

  it('returns no pair when a side has no candidate; rejects unknown side policies', () => {
    const { prefill, decode } = fleet();
    const p = createPdPolicy('sglang-pd', { prefill: 'random', decode: 'random' });
    expect(p.selectPair(request(1), [], decode, makeCtx())).toBeUndefined();
    expect(p.selectPair(request(1), prefill, [], makeCtx())).toBeUndefined();
    expect(() => createPdPolicy('sglang-pd', { prefill: 'bucket' })).toThrow(RoutingConfigError);
    expect(() => createPdPolicy('sglang-pd', { decode: 'least-request' })).toThrow(
      'sglang-pd: option "decode" must be one of "random", "round_robin", "power_of_two", "cache_aware", got "least-request"',
    );
    expect(() => createPdPolicy('sglang-pd', { prefillOptions: 3 })).toThrow(/prefillOptions/);
    expect(() => createPdPolicy('sglang-pd', { prefill: 'cache_aware', prefillOptions: { cacheThreshold: 2 } })).toThrow(/cacheThreshold/);
  });
});
