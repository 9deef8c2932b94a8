/**
 * Disaggregated requests end to end on hand-computed timelines.
 *
 * Step time (pd-world.ts): 1 ms + 0.01 ms per prefill token + 1 ms per decoding sequence.
 * Link: 10 GB/s + 1 ms latency; 1e5 KV bytes per token, so 100 prompt tokens = 1 ms of bandwidth.
 * Block size 16. The client's first token is the decode instance's: the instant the transferred
 * request joins the decode batch.
 */
import { describe, expect, it } from 'vitest';
import type { PdTimes } from '../../src/metrics/index.js';
import { endedOnce, pdWorld, request } from './pd-world.js';
import { instanceOf } from '../invariants/world.js';

function expectPd(actual: PdTimes | undefined, want: Omit<PdTimes, 'prefillIndex'>): void {
  expect(actual).toBeDefined();
  for (const k of Object.keys(want) as (keyof typeof want)[]) expect(actual![k], k).toBeCloseTo(want[k], 12);
}

const P = { id: 'P0', role: 'prefill' as const };
const D = { id: 'D0', role: 'decode' as const };

describe('one request, 1P1D', () => {
  // Arrival 0.1; prompt 1000, output 4.
  // Prefill: 1 + 10 = 11 ms -> done at 0.111; KV reserved on D0 at once (63 blocks).
  // Transfer: 1 ms + 1e8 B / 1e10 B/s = 11 ms -> 0.122; D0 is idle: joins at 0.122 (first token).
  // Decode: 3 steps of 2 ms -> 0.128. TTFT 22 ms, E2E 28 ms, TPOT 2 ms.
  const world = () => {
    const w = pdWorld({ instances: [P, D], slo: { ttft: 0.02, tpot: 0.0025 } });
    const releasedAt: number[] = [];
    const p = instanceOf(w.endpoint('P0'));
    const release = p.releaseTransferred.bind(p);
    p.releaseTransferred = (seq) => {
      releasedAt.push(w.cluster.sim.now);
      release(seq);
    };
    const used: Record<string, [number, number]> = {};
    for (const t of [0.105, 0.115, 0.1215, 0.1225, 0.127, 0.129]) {
      w.at(t, () => (used[t] = [instanceOf(w.endpoint('P0')).kv.used, instanceOf(w.endpoint('D0')).kv.used]));
    }
    w.run([request(0, 0.1, 1000, 4)]);
    return { ...w, releasedAt, used };
  };

  it('TTFT = prefill + transfer + joining the decode batch; E2E = TTFT + decode steps', () => {
    const w = world();
    const s = w.byId(0).outcome!;
    expect(w.byId(0).instance).toBe('D0');
    expect(s.decodeJoined).toBeCloseTo(0.122, 12);
    expect(s.firstToken).toBeCloseTo(0.122, 12);
    expect(s.finished).toBeCloseTo(0.128, 12);
    const m = w.summary();
    expect(m.completed).toBe(1);
    expect(m.metrics.ttft_ms.mean).toBeCloseTo(22, 9);
    expect(m.metrics.e2e_ms.mean).toBeCloseTo(28, 9);
    expect(m.metrics.tpot_ms.mean).toBeCloseTo(2, 9);
    expect(m.metrics.router_queue_ms.mean).toBe(0);
    expect(m.metrics.instance_queue_ms.mean).toBe(0);
    expect(w.violations).toEqual([]);
  });

  it('the prefill instance holds the KV until the transfer ends, exactly', () => {
    const w = world();
    expect(w.releasedAt).toHaveLength(1);
    expect(w.releasedAt[0]).toBeCloseTo(0.122, 12);
    // [prefill blocks, decode blocks]: 63 = ceil(1000 / 16); decode reserves at 0.111 and its
    // 1003 tokens at the end still fit 63 blocks.
    expect(w.used).toEqual({ 0.105: [63, 0], 0.115: [63, 63], 0.1215: [63, 63], 0.1225: [0, 63], 0.127: [0, 63], 0.129: [0, 0] });
    expect(w.cluster.links.get('P0->D0')!.bytes).toBe(1e8);
  });

  it("the collector's PD breakdown, utilization by role and SLO attainment", () => {
    const w = world();
    const m = w.summary();
    expect(m.pd).not.toBeNull();
    const pd = m.pd!;
    expect(pd.requests).toBe(1);
    expect(pd.prefill_queue_ms.mean).toBeCloseTo(0, 9);
    expect(pd.prefill_compute_ms.mean).toBeCloseTo(11, 9);
    expect(pd.kv_wait_ms.mean).toBeCloseTo(0, 9);
    expect(pd.transfer_ms.mean).toBeCloseTo(11, 9);
    expect(pd.decode_wait_ms.mean).toBeCloseTo(0, 9);
    // Run: 0.1 -> 0.128 = 28 ms. Prefill busy 11 ms, decode busy 3 x 2 ms.
    expect(m.duration_s).toBeCloseTo(0.028, 12);
    expect(m.utilization_by_role.prefill).toBeCloseTo(11 / 28, 9);
    expect(m.utilization_by_role.decode).toBeCloseTo(6 / 28, 9);
    expect(m.instances.map((x) => [x.id, x.role, x.served, x.prefills])).toEqual([
      ['P0', 'prefill', 0, 1],
      ['D0', 'decode', 1, 0],
    ]);
    // TTFT 22 ms misses 20 ms; TPOT 2 ms meets 2.5 ms; together: missed.
    expect(m.metrics.slo_attainment_ttft).toBe(0);
    expect(m.metrics.slo_attainment_tpot).toBe(1);
    expect(m.metrics.slo_attainment).toBe(0);
  });
});

describe('two requests, 1P1D: prefill queue, shared link, decode wait', () => {
  // A: prompt 1000, output 10 at 0. B: prompt 500, output 2 at 0.005.
  // P0: A 0 -> 0.011. B queued 0.005 -> 0.011 (6 ms), prefilled 0.011 -> 0.017 (1 + 5 ms).
  // Link: A sent 0.011, joins 0.012 alone (1e10 B/s). B sent 0.017, joins 0.018; A has moved
  //   6e7 of 1e8. Shared at 5e9 B/s: A's 4e7 take 8 ms -> 0.026; B has moved 4e7 of 5e7, alone
  //   again: 1 ms -> 0.027. Transfer A 15 ms, B 10 ms.
  // D0: A joins at 0.026, decodes alone 0.026 -> 0.028. B's KV is in at 0.027, mid-step: it joins
  //   at 0.028 (decode wait 1 ms). Step of 2 decodes 0.028 -> 0.031: B's last token. A: 7 more
  //   steps of 2 ms -> 0.045.
  it('matches the hand-computed timeline and breakdown', () => {
    const w = pdWorld({ instances: [P, D] });
    w.run([request(0, 0, 1000, 10), request(1, 0.005, 500, 2)]);
    const a = w.byId(0).outcome!;
    const b = w.byId(1).outcome!;
    expect(a.firstToken).toBeCloseTo(0.026, 12);
    expect(a.finished).toBeCloseTo(0.045, 12);
    expect(b.decodeJoined).toBeCloseTo(0.028, 12);
    expect(b.firstToken).toBeCloseTo(0.028, 12);
    expect(b.finished).toBeCloseTo(0.031, 12);
    const pd = w.summary().pd!;
    expect(pd.requests).toBe(2);
    // (A, B): queue (0, 6), compute (11, 6), kv wait (0, 0), transfer (15, 10), decode wait (0, 1).
    expectPd(w.byId(0).pd, { prefillQueue: 0, prefillCompute: 0.011, kvWait: 0, transfer: 0.015, decodeWait: 0 });
    expectPd(w.byId(1).pd, { prefillQueue: 0.006, prefillCompute: 0.006, kvWait: 0, transfer: 0.01, decodeWait: 0.001 });
    expect(pd.prefill_queue_ms.mean).toBeCloseTo(3, 9);
    expect(pd.prefill_compute_ms.mean).toBeCloseTo(8.5, 9);
    expect(pd.kv_wait_ms.mean).toBeCloseTo(0, 9);
    expect(pd.transfer_ms.mean).toBeCloseTo(12.5, 9);
    expect(pd.decode_wait_ms.mean).toBeCloseTo(0.5, 9);
    const m = w.summary().metrics;
    // TTFT: A 26 ms, B 0.028 - 0.005 = 23 ms. Instance queue = prefill queue.
    expect(m.ttft_ms.mean).toBeCloseTo(24.5, 9);
    expect(m.instance_queue_ms.mean).toBeCloseTo(3, 9);
    expect(w.violations).toEqual([]);
  });
});

describe('transfer contention end to end', () => {
  // W (prompt 100, output 2) at 0 keeps P0 busy 0 -> 0.002; A and B (prompt 500, output 2) arrive
  // at 0.001 and are prefilled together 0.002 -> 0.013 (1 + 10 ms). W's transfer (1 + 1 ms) is
  // over by 0.004. A and B both start at 0.013, join at 0.014 and share 1e10 B/s: 5e7 B each at
  // 5e9 B/s = 10 ms -> both in at 0.024 (alone each would take 1 + 5 ms: 0.019).
  // D0 is idle: both join at 0.024; one step of 2 decodes (3 ms) -> 0.027.
  it('two prefills finishing together to one decode instance share the link', () => {
    const w = pdWorld({ instances: [P, D] });
    w.run([request(0, 0, 100, 2), request(1, 0.001, 500, 2), request(2, 0.001, 500, 2)]);
    for (const id of [1, 2]) {
      const s = w.byId(id).outcome!;
      expect(s.kvReserved).toBeCloseTo(0.013, 12); // the decode side's reservation
      expect(s.firstToken).toBeCloseTo(0.024, 12);
      expect(s.finished).toBeCloseTo(0.027, 12);
    }
    // Transfers: W 2 ms, A and B 11 ms each.
    expect(w.byId(0).pd!.transfer).toBeCloseTo(0.002, 12);
    expectPd(w.byId(1).pd, { prefillQueue: 0.001, prefillCompute: 0.011, kvWait: 0, transfer: 0.011, decodeWait: 0 });
    expectPd(w.byId(2).pd, { prefillQueue: 0.001, prefillCompute: 0.011, kvWait: 0, transfer: 0.011, decodeWait: 0 });
    expect(w.summary().pd!.transfer_ms.mean).toBeCloseTo(8, 9);
    expect(w.cluster.links.get('P0->D0')!.transfers).toBe(3);
    expect(w.violations).toEqual([]);
  });
});

describe('decode admission blocks on KV', () => {
  // D0 holds 64 tokens = 4 blocks. Each request: prompt 40 (3 blocks), output 8 (KV 47 tokens
  // at most: still 3 blocks), so only one fits at a time.
  // A at 0: prefill 1.4 ms -> 0.0014, reserved at once; transfer 1 + 0.4 ms -> 0.0028; decodes
  //   7 steps of 2 ms -> 0.0168.
  // B at 0.002: prefill 0.002 -> 0.0034; D0 has 1 free block: waits. A's completion frees 3:
  //   reserved at 0.0168 (KV wait 13.4 ms), in at 0.0182, done 0.0322.
  // C at 0.0025: queued behind B on P0, prefill 0.0034 -> 0.0048; waits behind B (FIFO), and at
  //   0.0168 still does not fit; reserved at B's completion 0.0322 (KV wait 27.4 ms), in at
  //   0.0336, done 0.0476.
  it('the reservation waits for a completion; kv_wait by hand; capacity never exceeded', () => {
    const w = pdWorld({ instances: [P, { ...D, kvTokens: 64 }] });
    let maxUsed = 0;
    for (let t = 0; t < 0.05; t += 0.0001) w.at(t, () => (maxUsed = Math.max(maxUsed, instanceOf(w.endpoint('D0')).kv.used)));
    w.run([request(0, 0, 40, 8), request(1, 0.002, 40, 8), request(2, 0.0025, 40, 8)]);
    expect(endedOnce(w.ended, 3)).toBe(true);
    expect(w.ended.every((e) => e.outcome !== undefined)).toBe(true);
    const [a, b, c] = [0, 1, 2].map((id) => w.byId(id).outcome!);
    expect(a.finished).toBeCloseTo(0.0168, 12);
    expect(b.kvReserved).toBeCloseTo(0.0168, 12);
    expect(b.firstToken).toBeCloseTo(0.0182, 12);
    expect(b.finished).toBeCloseTo(0.0322, 12);
    expect(c.kvReserved).toBeCloseTo(0.0322, 12);
    expect(c.firstToken).toBeCloseTo(0.0336, 12);
    expect(c.finished).toBeCloseTo(0.0476, 12);
    const pd = w.summary().pd!;
    // KV waits 0, 13.4, 27.4 ms; every transfer 1.4 ms, alone on the link.
    expectPd(w.byId(0).pd, { prefillQueue: 0, prefillCompute: 0.0014, kvWait: 0, transfer: 0.0014, decodeWait: 0 });
    expectPd(w.byId(1).pd, { prefillQueue: 0, prefillCompute: 0.0014, kvWait: 0.0134, transfer: 0.0014, decodeWait: 0 });
    expectPd(w.byId(2).pd, { prefillQueue: 0.0009, prefillCompute: 0.0014, kvWait: 0.0274, transfer: 0.0014, decodeWait: 0 });
    expect(pd.kv_wait_ms.mean).toBeCloseTo((13.4 + 27.4) / 3, 9);
    expect(maxUsed).toBe(3);
    expect(w.violations).toEqual([]);
    // The waiting request's KV stayed on the prefill side until its own transfer ended.
    expect(instanceOf(w.endpoint('P0')).kv.used).toBe(0);
  });

  // The same with one-token outputs and a slow link (11 ms latency): A is reserved at 0.0014 and
  // its KV is in at 0.0014 + 0.011 + 0.0004 = 0.0128, when it joins the batch and completes at
  // once. B (at 0.002, prefill done 0.0034) waited for those blocks: reserved at 0.0128 (KV wait
  // 9.4 ms), in and done at 0.0128 + 0.0114 = 0.0242.
  it('a one-token request that completes as it joins frees its blocks for the next reservation', () => {
    const w = pdWorld({ instances: [P, { ...D, kvTokens: 64 }], link: () => ({ bandwidthGBs: 10, latencyS: 0.011 }) });
    w.run([request(0, 0, 40, 1), request(1, 0.002, 40, 1)]);
    expect(endedOnce(w.ended, 2)).toBe(true);
    expect(w.byId(0).outcome!.finished).toBeCloseTo(0.0128, 12);
    const b = w.byId(1).outcome!;
    expect(b.kvReserved).toBeCloseTo(0.0128, 12);
    expect(b.firstToken).toBeCloseTo(0.0242, 12);
    expect(b.finished).toBeCloseTo(0.0242, 12);
    expect(w.byId(1).pd!.kvWait).toBeCloseTo(0.0094, 12);
    expect(w.violations).toEqual([]);
  });

  // D0: 5 blocks of 16, one batch slot, 16-token step budget (chunked prefill).
  // A (prompt 32, output 20) at 0: prefill 0 -> 0.00132, in at 0.00132 + 0.00132 = 0.00264 and
  //   joins; its first decode step takes a 3rd block. Steps of 2 ms.
  // B (prompt 32, output 2) at 0.002: prefill -> 0.00332, reserves the last 2 blocks, in at
  //   0.00464, but the only slot is A's.
  // At 0.00264 + 16 x 0.002 = 0.03464 A needs a 4th block: none free, A preempts itself (17
  //   tokens generated, 49 to recompute). Its slot goes to B, whose KV is here: B joins at 0.03464
  //   (decode wait 30 ms) and finishes after one step, 0.03664. A is recomputed in chunks of 16,
  //   16, 16, 1 tokens (1.16, 1.16, 1.16, 1.01 ms) -> 0.04113, then 2 decode steps -> 0.04513.
  // (Re-admitting A at once would take the slot back: A would preempt itself forever.)
  it('a preempted sequence gives its batch slot to a transferred one holding KV', () => {
    const w = pdWorld({ instances: [P, { ...D, kvTokens: 80, config: { maxNumSeqs: 1, maxNumBatchedTokens: 16 } }] });
    w.run([request(0, 0, 32, 20), request(1, 0.002, 32, 2)]);
    expect(endedOnce(w.ended, 2)).toBe(true);
    const [a, b] = [w.byId(0).outcome!, w.byId(1).outcome!];
    expect(a.firstToken).toBeCloseTo(0.00264, 12);
    expect(a.preemptions).toBe(1);
    expect(b.firstToken).toBeCloseTo(0.03464, 12);
    expect(b.finished).toBeCloseTo(0.03664, 12);
    expect(w.byId(1).pd!.decodeWait).toBeCloseTo(0.03, 12);
    expect(a.finished).toBeCloseTo(0.04513, 12);
    expect(w.violations).toEqual([]);
  });

  it('under a stream of requests every one ends exactly once and no rank overfills', () => {
    const reqs = Array.from({ length: 40 }, (_, i) => request(i, i * 0.0005, 20 + ((i * 37) % 60), 1 + ((i * 13) % 9)));
    const w = pdWorld({
      instances: [P, { id: 'P1', role: 'prefill' }, { ...D, kvTokens: 160 }, { id: 'D1', role: 'decode', kvTokens: 128 }],
    });
    w.run(reqs);
    expect(endedOnce(w.ended, 40)).toBe(true);
    expect(w.ended.every((e) => e.outcome !== undefined)).toBe(true);
    expect(w.violations).toEqual([]);
    for (const e of w.cluster.endpoints) expect(instanceOf(e).kv.used).toBe(0);
    expect(w.cluster.sim.pending).toBe(0);
  });
});

describe('pull mode PD', () => {
  // D0 holds 512 tokens; pull dispatches when free KV - pending prompts >= prompt + 256.
  // A (prompt 200, output 50) at 0: 512 >= 456, dispatched. Prefill 0 -> 0.003; reserves 13
  //   blocks (208 tokens) on D0; transfer 1 + 2 ms -> 0.006; 49 decode steps of 2 ms -> 0.104.
  // B (same) at 0.001: 512 - 200 pending < 456, and after A's reservation 304 < 456: queued
  //   until A completes at 0.104 (router queue 103 ms). Then prefill -> 0.107, in at 0.110,
  //   done 0.208.
  it('a request waits in the router queue until the decode instance has KV headroom', () => {
    const w = pdWorld({ instances: [P, { ...D, kvTokens: 512 }], mode: 'pull' });
    w.run([request(0, 0, 200, 50), request(1, 0.001, 200, 50)]);
    expect(endedOnce(w.ended, 2)).toBe(true);
    expect(w.byId(0).outcome!.finished).toBeCloseTo(0.104, 12);
    const b = w.byId(1).outcome!;
    expect(b.firstToken).toBeCloseTo(0.11, 12);
    expect(b.finished).toBeCloseTo(0.208, 12);
    const m = w.summary().metrics;
    expect(m.router_queue_ms.mean).toBeCloseTo(51.5, 9);
    expect(w.byId(1).pd!.prefillQueue).toBeCloseTo(0, 12);
    expect(w.byId(1).pd!.kvWait).toBeCloseTo(0, 12);
    expect(w.violations).toEqual([]);
  });

  // D0 holds only 128 tokens: prompt 40 + a 256-token allowance never fits, so the allowance is
  // cut to 128 - 40 = 88 and a request is dispatched when D0's KV is all free.
  // A (prompt 40, output 8) at 0: dispatched; prefill -> 0.0014, in at 0.0028, 7 steps -> 0.0168.
  // B (same) at 0.001: 128 - 40 pending < 128, then 128 - 48 reserved < 128: queued until A
  // completes at 0.0168 (router queue 15.8 ms); prefill -> 0.0182, in 0.0196, done 0.0336.
  it('a decode instance smaller than prompt + allowance still takes requests, one at a time', () => {
    const w = pdWorld({ instances: [P, { ...D, kvTokens: 128 }], mode: 'pull' });
    w.run([request(0, 0, 40, 8), request(1, 0.001, 40, 8)]);
    expect(endedOnce(w.ended, 2)).toBe(true);
    expect(w.ended.map((e) => e.rejection)).toEqual([undefined, undefined]);
    expect(w.byId(1).record!.dispatched).toBeCloseTo(0.0168, 12);
    expect(w.byId(1).outcome!.finished).toBeCloseTo(0.0336, 12);
  });

  it('a request no prefill instance can hold is refused at arrival and does not block the queue', () => {
    const w = pdWorld({ instances: [{ ...P, kvTokens: 160 }, D], mode: 'pull' });
    w.run([request(0, 0, 172, 10), request(1, 0.001, 40, 2)]);
    expect(endedOnce(w.ended, 2)).toBe(true);
    expect(w.byId(0).rejection).toBe('prompt + output = 182 tokens exceeds the KV capacity of 160 tokens');
    // Prefill 1.4 ms, transfer 1.4 ms, one decode step.
    expect(w.byId(1).record!.dispatched).toBe(0.001);
    expect(w.byId(1).outcome!.finished).toBeCloseTo(0.001 + 0.0014 + 0.0014 + 0.002, 12);
  });

  // P0 holds 64 tokens (4 blocks); link latency 10 ms. A (prompt 40, output 8) at 0: prefill
  // 0 -> 0.0014, its 3 blocks stay on P0 until its transfer ends at 0.0014 + 0.01 + 0.0004 =
  // 0.0118. B (same) at 0.002: P0 has a free slot but 16 free KV tokens < 40: queued. The end of
  // A's transfer frees P0's blocks: B is dispatched at 0.0118 (router queue 9.8 ms), prefilled
  // -> 0.0132, KV in at 0.0132 + 0.0104 = 0.0236, during A's decode step 0.0218 -> 0.0238 (A
  // joined D0 at 0.0118): B joins at 0.0238 (decode wait 0.2 ms).
  it('a request waiting for prefill KV is dispatched when a transfer frees it', () => {
    const w = pdWorld({
      instances: [{ ...P, kvTokens: 64 }, D],
      mode: 'pull',
      link: () => ({ bandwidthGBs: 10, latencyS: 0.01 }),
    });
    w.run([request(0, 0, 40, 8), request(1, 0.002, 40, 8)]);
    expect(endedOnce(w.ended, 2)).toBe(true);
    expect(w.byId(1).record!.dispatched).toBeCloseTo(0.0118, 12);
    expect(w.byId(1).outcome!.firstToken).toBeCloseTo(0.0238, 12);
    expect(w.byId(1).pd!.decodeWait).toBeCloseTo(0.0002, 12);
    expect(w.summary().metrics.router_queue_ms.mean).toBeCloseTo(9.8 / 2, 9);
    expect(w.violations).toEqual([]);
  });
});
