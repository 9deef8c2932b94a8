import { describe, expect, it } from 'vitest';
import { RoutingConfigError, createPdPolicy, type PdRoutingPolicy } from '../../../src/routing/index.js';
import { histogram, makeCtx, request } from '../helpers.js';
import { pdCounters, pdEp } from './pd-helpers.js';

/** Two rolesets A and B, one prefill and one decode endpoint each. */
function fleet() {
  const pa = pdEp(0, 'prefill', { group: 'A' });
  const pb = pdEp(1, 'prefill', { group: 'B' });
  const da = pdEp(2, 'decode', { group: 'A' });
  const db = pdEp(3, 'decode', { group: 'B' });
  return { pa, pb, da, db, prefill: [pa, pb], decode: [da, db] };
}

const shared = (id: number, promptTokens = 64) => request(id, { promptTokens, prefixHashes: [1, 2, 3, 4] });

/** The pd policy with 16-token prefix blocks and the prompt [1,2,3,4] indexed on `on`. */
function warmedPolicy(on: ReturnType<typeof fleet>['pa'], options: Record<string, unknown> = {}): PdRoutingPolicy {
  const p = createPdPolicy('pd', { blockTokens: 16, ...options });
  const ctx = makeCtx();
  p.onDispatch!(shared(100), on, on, ctx);
  return p;
}

describe('AIBrix pd: scores and roleset choice (hand-computed)', () => {
  it('prefill (100 - match%) x 0.1 + count/maxCount, decode load_balancing, argmin of the normalized sum', () => {
    const f = fleet();
    pdCounters(f.pa, { prefillInflight: 2 });
    pdCounters(f.pb, { prefillInflight: 0 });
    // DA: reqs 4, 1000 tok/s, KV 50 % used -> free 50; DB: reqs 2 + 1 pending, 1500 tok/s, free 80.
    pdCounters(f.da, { decodeRunning: 4, decodeStarted: 9 });
    Object.assign(f.da.metrics, { generationTokensPerS: 1000, kvUsage: 0.5 });
    pdCounters(f.db, { decodeRunning: 2, pendingDecode: 1, decodeStarted: 9 });
    Object.assign(f.db.metrics, { generationTokensPerS: 1500, kvUsage: 0.2 });
    const p = warmedPolicy(f.pa);
    // prefill: PA 100 % match: 0 + 2/2 = 1; PB: 10 + 0 = 10; maxPrefill 10.
    // decode: maxReqs 4, maxThru 1500, maxFree 80.
    //   DA (4/4 + (1 - 1000/1500)) / (50/80) = 2.1333; DB (3/4 + 0) / 1 = 0.75; maxDecode 2.1333.
    // A: 1/10 + 1 = 1.1; B: 10/10 + 0.75/2.1333 = 1.3516 -> A.
    expect(p.selectPair(shared(1), f.prefill, f.decode, makeCtx())).toEqual({ prefill: f.pa, decode: f.da });
    // DA 90 % KV used: free 10 -> DA (1.3333) / (10/80) = 10.667 = maxDecode.
    // A: 0.1 + 1 = 1.1; B: 1 + 0.75/10.667 = 1.0703 -> B.
    f.da.metrics.kvUsage = 0.9;
    expect(p.selectPair(shared(2), f.prefill, f.decode, makeCtx())).toEqual({ prefill: f.pb, decode: f.db });
  });

  it('pairs stay inside one roleset: best pod per roleset, then the roleset', () => {
    const pa0 = pdEp(0, 'prefill', { group: 'A' });
    const pa1 = pdEp(1, 'prefill', { group: 'A' });
    const pb = pdEp(2, 'prefill', { group: 'B' });
    const da = pdEp(3, 'decode', { group: 'A' });
    const db0 = pdEp(4, 'decode', { group: 'B' });
    const db1 = pdEp(5, 'decode', { group: 'B' });
    // The prompt is cached on PA1. Decode reqs DA 3, DB0 2, DB1 0 (all warm); throughput 0, free 100:
    //   DA 3/3 + 1 = 2, DB0 2/3 + 1 = 1.6667, DB1 0 + 1 = 1 -> B's best DB1; maxDecode 2.
    // prefill counts 0: PA1 0 + 0 = 0 (match 100 %), PA0 10, PB 10; maxPrefill 10.
    // A: 0/10 + 2/2 = 1 (PA1, DA); B: 10/10 + 1/2 = 1.5 -> (PA1, DA).
    for (const [e, r] of [[da, 3], [db0, 2], [db1, 0]] as const) pdCounters(e, { decodeRunning: r, decodeStarted: 1 });
    const p = warmedPolicy(pa1);
    expect(p.selectPair(shared(1), [pa0, pa1, pb], [da, db0, db1], makeCtx())).toEqual({ prefill: pa1, decode: da });
    // Without the cache, A: 10/10 + 1 = 2, B: 1 + 0.5 -> B, with B's best decode DB1.
    const cold = createPdPolicy('pd', { blockTokens: 16 });
    expect(cold.selectPair(shared(2), [pa0, pa1, pb], [da, db0, db1], makeCtx())).toEqual({ prefill: pb, decode: db1 });
  });

  it('ties between rolesets are uniform (Go map order)', () => {
    const f = fleet();
    const p = createPdPolicy('pd', { blockTokens: 16 });
    const ctx = makeCtx(3);
    const h = histogram(400, () => p.selectPair(request(1), f.prefill, f.decode, ctx)?.prefill);
    expect(h.get(0)! > 150 && h.get(1)! > 150).toBe(true);
  });

  it('skips prefill pods whose count exceeds mean + stdDevFactor x sample std', () => {
    const pa0 = pdEp(0, 'prefill', { group: 'A' });
    const pa1 = pdEp(1, 'prefill', { group: 'A' });
    const da = pdEp(2, 'decode', { group: 'A' });
    pdCounters(pa0, { prefillInflight: 5 });
    pdCounters(pa1, { prefillInflight: 1 });
    // mean 3, std 2.83: with factor 2 the limit is 8.66 and cached PA0 (0 + 5/5 = 1) beats PA1 (10.2).
    expect(warmedPolicy(pa0).selectPair(shared(1), [pa0, pa1], [da], makeCtx())?.prefill).toBe(pa0);
    // With factor 0 the limit is the mean, 3: PA0 is skipped.
    expect(warmedPolicy(pa0, { stdDevFactor: 0 }).selectPair(shared(1), [pa0, pa1], [da], makeCtx())?.prefill).toBe(pa1);
  });

  it('least_request scoring on both sides', () => {
    const f = fleet();
    pdCounters(f.pa, { prefillInflight: 1 });
    pdCounters(f.pb, { prefillInflight: 2 });
    pdCounters(f.da, { decodeRunning: 5, decodeStarted: 1 });
    pdCounters(f.db, { decodeRunning: 1, decodeStarted: 1 });
    // prefill 1 and 2 (maxPrefill = max(1, 2) = 2); decode 5 and 1 (maxDecode 5).
    // A: 1/2 + 5/5 = 1.5; B: 2/2 + 1/5 = 1.2 -> B.
    const p = createPdPolicy('pd', { prefillScorePolicy: 'least_request', decodeScorePolicy: 'least_request' });
    expect(p.selectPair(shared(1), f.prefill, f.decode, makeCtx())).toEqual({ prefill: f.pb, decode: f.db });
  });

  it('conductor decode scoring: TBT x (1 + 1/max(reqs, 1)), x 1.5 above 90 % KV', () => {
    const f = fleet();
    pdCounters(f.da, { decodeRunning: 1, decodeStarted: 1 });
    pdCounters(f.db, { decodeRunning: 4, decodeStarted: 1 });
    Object.assign(f.da.metrics, { generationTokensPerS: 100, kvUsage: 0.95 }); // 10 ms x 2 x 1.5 = 30
    Object.assign(f.db.metrics, { generationTokensPerS: 50 }); // 20 ms x 1.25 = 25
    const p = createPdPolicy('pd', { prefillScorePolicy: 'least_request', decodeScorePolicy: 'conductor' });
    // prefill both 0; A: 0 + 30/30, B: 0 + 25/30 -> B.
    expect(p.selectPair(request(1), f.prefill, f.decode, makeCtx())?.decode).toBe(f.db);
  });

  it('a cold decode pod (no request reached it yet) scores 1 + pending when others are warm', () => {
    const f = fleet();
    pdCounters(f.da, { decodeRunning: 2, decodeStarted: 3 }); // 2/2 + 1 = 2 (throughput 0 everywhere)
    pdCounters(f.db, { pendingDecode: 2 }); // cold: 1 + 2 = 3; maxDecode 3
    // prefill all 10 (no cache); A: 1 + 2/3, B: 1 + 3/3 -> A.
    const p = createPdPolicy('pd', { blockTokens: 16 });
    expect(p.selectPair(request(1), f.prefill, f.decode, makeCtx())?.decode).toBe(f.da);
    pdCounters(f.db, { pendingDecode: 0 }); // cold 1 < 2 -> B
    expect(p.selectPair(request(2), f.prefill, f.decode, makeCtx())?.decode).toBe(f.db);
  });
});

describe('AIBrix pd with the running metric synced (a gateway with Redis)', () => {
  it('no pod is cold: a pod no request reached yet is scored by load like the others', () => {
    const f = fleet();
    pdCounters(f.da, { decodeRunning: 3, decodeStarted: 3 }); // 3/3 + 1 = 2
    pdCounters(f.db, { pendingDecode: 2 }); // cold: 1 + 2 = 3; synced: 2/3 + 1 = 1.67
    const cold = createPdPolicy('pd', { blockTokens: 16 });
    expect(cold.selectPair(request(1), f.prefill, f.decode, makeCtx())?.decode).toBe(f.da); // A 1 + 2/3 < B 1 + 3/3
    const synced = createPdPolicy('pd', { blockTokens: 16, runningMetricSync: true });
    expect(synced.selectPair(request(1), f.prefill, f.decode, makeCtx())?.decode).toBe(f.db); // B 1 + 1.67/2 < A 1 + 2/2
  });
});

describe('AIBrix pd: imbalance fast paths', () => {
  it('prefill: max - min > 16 in-flight prefills picks the least-loaded pod and aligns decode to its roleset', () => {
    const f = fleet();
    pdCounters(f.pa, { prefillInflight: 16 });
    // spread 16 is not > 16: scoring; PA cached: 0 + 16/16 = 1 vs PB 10 -> A.
    expect(warmedPolicy(f.pa).selectPair(shared(1), f.prefill, f.decode, makeCtx())).toEqual({ prefill: f.pa, decode: f.da });
    pdCounters(f.pa, { prefillInflight: 17 });
    expect(warmedPolicy(f.pa).selectPair(shared(1), f.prefill, f.decode, makeCtx())).toEqual({ prefill: f.pb, decode: f.db });
  });

  it('decode check 1: running + pending spread >= 16 among warm pods picks the least-loaded', () => {
    const f = fleet();
    pdCounters(f.da, { decodeRunning: 20, decodeStarted: 1 });
    pdCounters(f.db, { decodeRunning: 2, pendingDecode: 2, decodeStarted: 1 }); // 4: spread 16
    expect(warmedPolicy(f.pa).selectPair(shared(1), f.prefill, f.decode, makeCtx())).toEqual({ prefill: f.pb, decode: f.db });
  });

  it('decode check 1 ignores cold pods (no realtime running metric yet)', () => {
    const f = fleet();
    pdCounters(f.da, { decodeRunning: 20, decodeStarted: 1 }); // 20/20 + 1 = 2
    // DB cold, spread over warm pods only is 0: no fast path. DB scores 1 + 0; maxDecode 2.
    // PA cached: A 0 + 2/2 = 1; B 10/10 + 1/2 = 1.5 -> A (a fast path would have chosen DB).
    expect(warmedPolicy(f.pa).selectPair(shared(1), f.prefill, f.decode, makeCtx())).toEqual({ prefill: f.pa, decode: f.da });
  });

  it('decode check 2: throughput spread > 2048 tok/s picks the LOWEST-throughput pod', () => {
    const f = fleet();
    f.da.metrics.generationTokensPerS = 3000;
    f.db.metrics.generationTokensPerS = 951; // spread 2049
    expect(warmedPolicy(f.pa).selectPair(shared(1), f.prefill, f.decode, makeCtx())).toEqual({ prefill: f.pb, decode: f.db });
    f.db.metrics.generationTokensPerS = 952; // spread 2048: not > 2048 -> scoring prefers the cached A
    expect(warmedPolicy(f.pa).selectPair(shared(1), f.prefill, f.decode, makeCtx())?.prefill).toBe(f.pa);
  });

  it('decode check 3: when every pod drains, reqs/drain max/min > 1.5 picks the lowest', () => {
    const f = fleet();
    pdCounters(f.da, { decodeRunning: 6, decodeStarted: 1, drainRate1m: 1 }); // 6
    pdCounters(f.db, { decodeRunning: 3, decodeStarted: 1, drainRate1m: 0.75 }); // 4: ratio 1.5, not > 1.5
    expect(warmedPolicy(f.pa).selectPair(shared(1), f.prefill, f.decode, makeCtx())?.decode).toBe(f.da);
    pdCounters(f.db, { drainRate1m: 1 }); // 3: ratio 2
    expect(warmedPolicy(f.pa).selectPair(shared(1), f.prefill, f.decode, makeCtx())).toEqual({ prefill: f.pb, decode: f.db });
    pdCounters(f.db, { drainRate1m: Number.NaN }); // not reported: check skipped
    expect(warmedPolicy(f.pa).selectPair(shared(1), f.prefill, f.decode, makeCtx())?.decode).toBe(f.da);
  });

  it('ineligible rolesets (a side without candidates) are left out; none eligible -> undefined', () => {
    const f = fleet();
    const p = createPdPolicy('pd');
    expect(p.selectPair(request(1), [f.pa], [f.da, f.db], makeCtx())).toEqual({ prefill: f.pa, decode: f.da });
    expect(p.selectPair(request(1), [f.pa], [f.db], makeCtx())).toBeUndefined();
  });

  it('validates its options', () => {
    expect(() => createPdPolicy('pd', { decodeScorePolicy: 'fastest' })).toThrow(RoutingConfigError);
    expect(() => createPdPolicy('pd', { prefillImbalanceMinSpread: -1 })).toThrow(/prefillImbalanceMinSpread/);
  });
});
