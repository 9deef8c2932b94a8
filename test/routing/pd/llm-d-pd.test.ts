import { describe, expect, it } from 'vitest';
import { RoutingConfigError, createPdPolicy } from '../../../src/routing/index.js';
import { makeCtx, request } from '../helpers.js';
import { pdCounters, pdEp } from './pd-helpers.js';

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
    const p = createPdPolicy('llm-d-pd'); // nonCachedTokens 16
    const ctx = makeCtx();
    // Decode profile (prefix 2 + queue 1): no prefix; D2 waiting 0 -> (64 - 0)/64 = 1, D3 waiting 64 -> 0.
    expect(p.selectPair(request(1, { promptTokens: 15 }), prefill, decode, ctx)).toEqual({ prefill: decode[0], decode: decode[0] });
    // 16 >= 16 non-cached tokens: the prefill profile picks P0 (waiting 0 -> 1, P1 waiting 3 -> 0).
    expect(p.selectPair(request(2, { promptTokens: 16 }), prefill, decode, ctx)).toEqual({ prefill: prefill[0], decode: decode[0] });
  });

  it('non-cached = prompt - matched blocks of the chosen decode endpoint x 16', () => {
    const { prefill, decode } = fleet();
    const p = createPdPolicy('llm-d-pd');
    const ctx = makeCtx();
    // The prompt was served by (P1, D3): both indexed (one shared index, as llm-d's producer).
    p.onDispatch!(longShared(1), prefill[1], decode[1], ctx);
    // Decode profile: D3 2 x 62/63 + 0 = 1.968 > D2 0 + 1 -> D3; non-cached 1000 - 992 = 8 < 16.
    expect(p.selectPair(longShared(2), prefill, decode, ctx)).toEqual({ prefill: decode[1], decode: decode[1] });
    // With a 4-token threshold the 8 non-cached tokens are disaggregated; the prefill profile
    // prefers P1, which holds the prefix (2 x 62/63 + 0 > 0 + 1).
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

  it("the prefill profile's active-request-scorer counts prefills not yet done, not requests to completion", () => {
    const { prefill, decode } = fleet();
    // P0: 5 requests past their prefill (held to completion by the gateway), none prefilling; P1: 2 prefilling.
    pdCounters(prefill[0], { inflight: 5, prefillInflight: 0 });
    pdCounters(prefill[1], { inflight: 2, prefillInflight: 2 });
    const p = createPdPolicy('llm-d-pd', { prefillWeights: { 'active-request-scorer': 1 } });
    // P0 idle -> 1; P1 (2 - 2)/2 = 0.
    expect(p.selectPair(request(1, { promptTokens: 4000 }), prefill, decode, makeCtx())!.prefill).toBe(prefill[0]);
  });

  it('returns no pair when a prefill is wanted but no prefill endpoint is offered (pull: wait)', () => {
    const { decode } = fleet();
    const p = createPdPolicy('llm-d-pd');
    expect(p.selectPair(request(1, { promptTokens: 4000 }), [], decode, makeCtx())).toBeUndefined();
    expect(p.selectPair(request(1, { promptTokens: 10 }), [], decode, makeCtx())?.decode).toBe(decode[0]);
  });
});
