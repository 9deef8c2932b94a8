/**
 * slo-pd on constructed states: the prefill endpoint by predicted TTFT, the decode endpoint by
 * TPOT headroom, holding in pull mode, and the live corrections; numbers worked by hand.
 */
import { describe, expect, it } from 'vitest';
import { createPdPolicy, RoutingConfigError } from '../../../src/routing/index.js';
import { makeCtx, request } from '../helpers.js';
import { pdCounters, pdEp } from './pd-helpers.js';

const profile = {
  FAST: { prefillTokensPerS: 40000, decodeBaseS: 0.01, decodePerSeqS: 0.001, decodePerKvTokenS: 0 },
  SLOW: { prefillTokensPerS: 10000, decodeBaseS: 0.02, decodePerSeqS: 0.0001, decodePerKvTokenS: 0 },
};

function fleet() {
  const prefill = [pdEp(0, 'prefill', { gpuType: 'FAST' }), pdEp(1, 'prefill', { gpuType: 'SLOW' })];
  const decode = [pdEp(2, 'decode', { gpuType: 'FAST' }), pdEp(3, 'decode', { gpuType: 'SLOW' })];
  return { prefill, decode };
}

describe('slo-pd', () => {
  it('prefill: least predicted TTFT = waited + (backlog + prompt) / rate + transfer', () => {
    const { prefill, decode } = fleet();
    const p = createPdPolicy('slo-pd', { source: 'profile', profile, transferSPerToken: 1e-5 });
    const ctx = makeCtx();
    const r = request(1, { promptTokens: 1000 });
    // Idle: FAST 1000/40000 = 0.025 s, SLOW 0.1 s (+ 0.01 s transfer each): FAST.
    expect(p.selectPair(r, prefill, decode, ctx)!.prefill.id).toBe('P0');
    // 40000 tokens routed to FAST and not prefilled: (40000 + 1000) / 40000 = 1.025 s > 0.1 s: SLOW.
    p.onDispatch!(request(2, { promptTokens: 40000 }), prefill[0], decode[0], ctx);
    expect(p.selectPair(r, prefill, decode, ctx)!.prefill.id).toBe('P1');
    // Its prefill is done: FAST is idle again.
    ctx.t = 1;
    p.onPrefillDone!(request(2, { promptTokens: 40000 }), prefill[0], decode[0], ctx);
    expect(p.selectPair(request(3, { promptTokens: 1000 }), prefill, decode, ctx)!.prefill.id).toBe('P0');
  });

  it('decode: largest TPOT headroom = target - (base + perSeq x (routed + 1) + perKvToken x KV tokens)', () => {
    const { prefill, decode } = fleet();
    const p = createPdPolicy('slo-pd', { source: 'profile', profile, tpotS: 0.05 });
    const ctx = makeCtx();
    // Empty: FAST 0.01 + 0.001 = 0.011 s, SLOW 0.02 + 0.0001 = 0.0201 s: FAST.
    expect(p.selectPair(request(1), prefill, decode, ctx)!.decode.id).toBe('D2');
    // 15 running + 5 pending on each: FAST 0.01 + 0.021 = 0.031 s, SLOW 0.02 + 0.0021 = 0.0221 s: SLOW.
    for (const d of decode) pdCounters(d, { decodeRunning: 15, pendingDecode: 5, inflight: 20 });
    expect(p.selectPair(request(2), prefill, decode, ctx)!.decode.id).toBe('D3');
    // KV term: perKvToken 1e-6 on FAST only; 10000 prompt tokens in flight there adds 0.01 s.
    const q = createPdPolicy('slo-pd', { source: 'profile', profile: { ...profile, FAST: { ...profile.FAST, decodePerKvTokenS: 1e-6 } } });
    for (const d of decode) pdCounters(d, { decodeRunning: 0, pendingDecode: 0, inflight: 0 });
    decode[0].counters.inflightPromptTokens = 10000;
    // FAST: 0.01 + 0.001 + 1e-6 x (10000 + 100) = 0.0211 s > SLOW 0.0201 s.
    expect(q.selectPair(request(3, { promptTokens: 100 }), prefill, decode, ctx)!.decode.id).toBe('D3');
  });

  it('decode: only endpoints with a batch slot and KV room for the prompt + 256 tokens compete (routed requests count), else the most free slots', () => {
    const { prefill, decode } = fleet();
    const p = createPdPolicy('slo-pd', { source: 'profile', profile });
    const ctx = makeCtx();
    // FAST has the better TPOT but room for 1200 tokens only: a 1000-token prompt needs 1256.
    decode[0].cap.freeKvTokens = 1200;
    decode[1].cap.freeKvTokens = 1300;
    expect(p.selectPair(request(1, { promptTokens: 1000 }), prefill, decode, ctx)!.decode.id).toBe('D3');
    expect(p.selectPair(request(2, { promptTokens: 900 }), prefill, decode, ctx)!.decode.id).toBe('D2');
    // A 900-token prompt routed to SLOW and not yet transferred leaves it 400 tokens: neither fits
    // a 1000-token prompt now, FAST (1200) has the most room.
    p.onDispatch!(request(3, { promptTokens: 900 }), prefill[0], decode[1], ctx);
    expect(p.selectPair(request(4, { promptTokens: 1000 }), prefill, decode, ctx)!.decode.id).toBe('D2');
    // Batch slots: FAST has room again but no free slot once its pending request is counted.
    decode[0].cap.freeKvTokens = 100000;
    decode[1].cap.freeKvTokens = 100000;
    decode[0].cap.freeSlots = 1;
    pdCounters(decode[0], { pendingDecode: 1 });
    expect(p.selectPair(request(5, { promptTokens: 1000 }), prefill, decode, ctx)!.decode.id).toBe('D3');
    // No endpoint can admit it: the most free slots wins (SLOW 2 vs FAST 0).
    decode[1].cap.freeSlots = 2;
    decode[1].cap.freeKvTokens = 10;
    expect(p.selectPair(request(6, { promptTokens: 1000 }), prefill, decode, ctx)!.decode.id).toBe('D3');
  });

  it('pull mode holds a request while no decode endpoint has TPOT headroom and its TTFT budget lasts; push never holds', () => {
    const { prefill, decode } = fleet();
    for (const d of decode) pdCounters(d, { decodeRunning: 40, inflight: 40 });
    // FAST 0.01 + 0.041 = 0.051 s, SLOW 0.02 + 0.0041 = 0.0241 s: both over tpot 0.02.
    const opts = { source: 'profile', profile, tpotS: 0.02, ttftS: 1 };
    const pull = createPdPolicy('slo-pd', { ...opts, mode: 'pull' });
    const push = createPdPolicy('slo-pd', opts);
    const ctx = makeCtx();
    const r = request(1, { arrival: 0, promptTokens: 1000 });
    expect(pull.selectPair(r, prefill, decode, ctx)).toBeUndefined();
    expect(push.selectPair(r, prefill, decode, ctx)!.decode.id).toBe('D3');
    // Waited 0.99 s: predicted TTFT 0.99 + 0.025 > 1 s: the budget is spent, it goes now.
    ctx.t = 0.99;
    expect(pull.selectPair(r, prefill, decode, ctx)!.decode.id).toBe('D3');
    // Nothing in flight on the decode side (no completion will come): it goes at once.
    ctx.t = 0;
    for (const d of decode) pdCounters(d, { inflight: 0 });
    expect(pull.selectPair(r, prefill, decode, ctx)).toBeDefined();
  });

  it('live source: prefill and decode predictions scaled by observed over predicted times', () => {
    const { prefill, decode } = fleet();
    const live = createPdPolicy('slo-pd', { profile });
    const prof = createPdPolicy('slo-pd', { source: 'profile', profile });
    const ctx = makeCtx();
    // FAST was predicted 8000 / 40000 = 0.2 s for a prompt that took 4 s from dispatch to prefill
    // done: ratio 20, correction 1 + 0.3 x (20 - 1) = 6.7.
    const big = request(1, { promptTokens: 8000 });
    for (const pol of [live, prof]) {
      ctx.t = 0;
      pol.onDispatch!(big, prefill[0], decode[0], ctx);
      ctx.t = 4;
      pol.onPrefillDone!(big, prefill[0], decode[0], ctx);
    }
    ctx.t = 50;
    const r = request(2, { arrival: 50, promptTokens: 1000 });
    // live: FAST 6.7 x 0.025 = 0.1675 s vs SLOW 0.1 s; profile: FAST 0.025 s.
    expect(live.selectPair(r, prefill, decode, ctx)!.prefill.id).toBe('P1');
    expect(prof.selectPair(r, prefill, decode, ctx)!.prefill.id).toBe('P0');

    // Decode: FAST's scraped TPOT is 4x the profile's prediction at its load (1 running:
    // 0.01 + 0.001 = 0.011 s, scraped 0.044 s). Correction 1 + 0.3 x (4 - 1) = 1.9: predicted
    // 0.011 x 1.9 = 0.0209 s with the request added to an empty batch > SLOW 0.0201 s.
    Object.assign(decode[0].metrics, { updatedAt: 49, running: 1, avgTpotS: 0.044 });
    expect(live.selectPair(r, prefill, decode, ctx)!.decode.id).toBe('D3');
    expect(prof.selectPair(r, prefill, decode, ctx)!.decode.id).toBe('D2');
    // The same snapshot is counted once.
    expect(live.selectPair(r, prefill, decode, ctx)!.decode.id).toBe('D3');
  });

  it('an aborted request (completed without prefill done) leaves the backlog; bad profiles are config errors', () => {
    const { prefill, decode } = fleet();
    const p = createPdPolicy('slo-pd', { source: 'profile', profile });
    const ctx = makeCtx();
    const big = request(1, { promptTokens: 40000 });
    p.onDispatch!(big, prefill[0], decode[0], ctx);
    expect(p.selectPair(request(2, { promptTokens: 1000 }), prefill, decode, ctx)!.prefill.id).toBe('P1');
    p.onComplete!(big, prefill[0], decode[0], { outputTokens: 0, ttft: 0, e2e: 0 }, ctx);
    expect(p.selectPair(request(3, { promptTokens: 1000 }), prefill, decode, ctx)!.prefill.id).toBe('P0');

    expect(() => createPdPolicy('slo-pd', { profile: { H20: { decodeBaseS: -1 } } })).toThrow(RoutingConfigError);
    expect(() => createPdPolicy('slo-pd', { profile: { H20: { prefillTokensPerS: 0 } } })).toThrow(/profile.H20.prefillTokensPerS/);
    expect(() => createPdPolicy('slo-pd', { profile: { H20: { speed: 1 } } })).toThrow(/unknown/);
    expect(() => createPdPolicy('slo-pd', { source: 'oracle' })).toThrow(/source/);
    const w = makeCtx();
    createPdPolicy('slo-pd').selectPair(request(4), prefill, decode, w);
    expect(w.warnings.some((m) => /no step-time profile for GPU type "FAST"/.test(m))).toBe(true);
  });
});
