import { describe, expect, it } from 'vitest';
import { RoutingConfigError, createPdPolicy } from '../../../src/routing/index.js';
import { makeCtx, request } from '../helpers.js';
import { pdEp } from './pd-helpers.js';

function fleet() {
  return {
    prefill: [pdEp(0, 'prefill'), pdEp(1, 'prefill', { waiting: 3 })],
    decode: [pdEp(2, 'decode'), pdEp(3, 'decode', { waiting: 64 })],
  };
}

/** 1000-token prompt whose first 992 tokens (62 blocks of 16) are a shared prefix. */
const longShared = (id: number) => request(id, { promptTokens: 1000, prefixHashes: Array.from({ length: 62 }, (_, i) => i + 1) });

describe('llm-d decode-first P/D (llm-d-pd)', () => {
  it('short prompts stay on the decode endpoint (prefill === decode); long non-cached prompts are disaggregated', () => {
    const { prefill, decode } = fleet();
    const p = createPdPolicy('llm-d-pd'); // nonCachedTokens 128
    const ctx = makeCtx();
    // Decode profile (prefix 2 + load-aware 1): D2 waiting 0 -> 0.5; D3 waiting 64 -> 0.5 x 0.5 = 0.25.
    expect(p.selectPair(request(1, { promptTokens: 127 }), prefill, decode, ctx)).toEqual({ prefill: decode[0], decode: decode[0] });
    // 128 >= 128 non-cached tokens: the prefill profile picks P0 (waiting 0: 0.5 vs 0.5 x (1 - 3/128)).
    expect(p.selectPair(request(2, { promptTokens: 128 }), prefill, decode, ctx)).toEqual({ prefill: prefill[0], decode: decode[0] });
  });

  it('non-cached = prompt - matched blocks of the chosen decode endpoint x 16', () => {
    const { prefill, decode } = fleet();
    const p = createPdPolicy('llm-d-pd');
    const ctx = makeCtx();
    // The prompt was served by (P1, D3): both indexed (one shared index, as llm-d's producer).
    p.onDispatch!(longShared(1), prefill[1], decode[1], ctx);
    // Decode profile: D3 2 x 62/63 + 0.25 = 2.218 > D2 0.5 -> D3; non-cached 1000 - 992 = 8 < 128.
    expect(p.selectPair(longShared(2), prefill, decode, ctx)).toEqual({ prefill: decode[1], decode: decode[1] });
    // With a 4-token threshold the 8 non-cached tokens are disaggregated; the prefill profile
    // prefers P1, which holds the prefix (2 x 62/63 + 0.49 > 0.5).
    const q = createPdPolicy('llm-d-pd', { nonCachedTokens: 4 });
    q.onDispatch!(longShared(1), prefill[1], decode[1], ctx);
    expect(q.selectPair(longShared(2), prefill, decode, ctx)).toEqual({ prefill: prefill[1], decode: decode[1] });
  });

  it('nonCachedTokens 0 never disaggregates; weights replace the guide profile', () => {
    const { prefill, decode } = fleet();
    const never = createPdPolicy('llm-d-pd', { nonCachedTokens: 0 });
    expect(never.selectPair(request(1, { promptTokens: 100000 }), prefill, decode, makeCtx())).toEqual({ prefill: decode[0], decode: decode[0] });
    // active-request-scorer only, D2 busy (4 in flight) and D3 idle: D2 (4 - 4)/4 = 0, D3 1 -> D3.
    decode[0].counters.inflight = 4;
    const active = createPdPolicy('llm-d-pd', { decodeWeights: { 'active-request-scorer': 1 } });
    expect(active.selectPair(request(2, { promptTokens: 10 }), prefill, decode, makeCtx())!.decode).toBe(decode[1]);
    expect(() => createPdPolicy('llm-d-pd', { decodeWeights: { 'precise-prefix-cache-scorer': 1 } })).toThrow(RoutingConfigError);
    expect(() => createPdPolicy('llm-d-pd', { prefillWeights: { queue: -2 } })).toThrow(/non-negative/);
  });

  it('returns no pair when a prefill is wanted but no prefill endpoint is offered (pull: wait)', () => {
    const { decode } = fleet();
    const p = createPdPolicy('llm-d-pd');
    expect(p.selectPair(request(1, { promptTokens: 4000 }), [], decode, makeCtx())).toBeUndefined();
    expect(p.selectPair(request(1, { promptTokens: 10 }), [], decode, makeCtx())?.decode).toBe(decode[0]);
  });
});
