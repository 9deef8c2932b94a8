/**
 * Data-parallel ranks inside one instance (DpGroup): each SGLang dispatch method on a constructed
 * arrival pattern, and rank agreement between the prefill and decode sides in PD.
 */
import { describe, expect, it } from 'vitest';
import type { InstanceEndpoint } from '../../src/cluster/index.js';
import { bootstrapRoomOf, createPdPolicy, createPolicy } from '../../src/routing/index.js';
import type { DpGroup } from '../../src/serving/index.js';
import { endedOnce, pdWorld, request } from './pd-world.js';
import { instancesOf } from '../invariants/world.js';

/** Records the rank each request was queued on (enqueue) and reserved on (reserveTransfer). */
function recordRanks(e: InstanceEndpoint) {
  const queued = new Map<number, number>();
  const reserved = new Map<number, number>();
  instancesOf(e).forEach((inst, r) => {
    const enqueue = inst.enqueue.bind(inst);
    inst.enqueue = (req, owner) => {
      queued.set(req.id, r);
      return enqueue(req, owner);
    };
    const reserve = inst.reserveTransfer.bind(inst);
    inst.reserveTransfer = (req, owner) => {
      const seq = reserve(req, owner);
      if (seq) {
        expect(reserved.has(req.id)).toBe(false);
        reserved.set(req.id, r);
      }
      return seq;
    };
  });
  return { queued, reserved };
}

const perRank = (e: InstanceEndpoint) => [...(e.engine as DpGroup).dispatchedPerRank];

/** One unified instance with dp 4 behind a round-robin router (one endpoint: it gets everything). */
function dpWorld(method: string) {
  const w = pdWorld({ instances: [{ id: 'U', role: 'unified', dp: 4, dpDispatch: method }], unified: createPolicy('round-robin', {}) });
  const ranks = recordRanks(w.endpoint('U'));
  return { ...w, ranks };
}

// r0 (prompt 100, output 2) at 0 is done at 0.004; r1..r3 (output 1000, ~2 s) arrive just after
// and are still running when r4..r6 arrive at 1.0.
const QUEUE_PATTERN = [
  request(0, 0, 100, 2),
  request(1, 0.0001, 100, 1000),
  request(2, 0.0002, 100, 1000),
  request(3, 0.0003, 100, 1000),
  request(4, 1.0, 100, 2),
  request(5, 1.0001, 100, 2),
  request(6, 1.0002, 100, 2),
];

const order = (m: Map<number, number>, n: number) => Array.from({ length: n }, (_, i) => m.get(i));

describe('DP dispatch methods inside one instance', () => {
  it('round_robin: in turn, whatever the load', () => {
    const w = dpWorld('round_robin');
    w.run(QUEUE_PATTERN);
    expect(order(w.ranks.queued, 7)).toEqual([0, 1, 2, 3, 0, 1, 2]);
    expect(perRank(w.endpoint('U'))).toEqual([2, 2, 2, 1]);
    expect(endedOnce(w.ended, 7)).toBe(true);
    expect(w.violations).toEqual([]);
  });

  it('shortest_queue: levels running + waiting counts, round robin when level', () => {
    // r0: all 0 -> round robin counter -> 0. r1: (1,0,0,0) -> budget [1,2,3] -> 1; r2 -> 2; r3 -> 3.
    // At 1.0 rank 0 is empty: (0,1,1,1) -> 0. Then (1,1,1,1): level, round robin (counter at 1)
    // -> 1. Then (1,2,1,1) -> budget [0,2,3] -> 0.
    const w = dpWorld('shortest_queue');
    w.run(QUEUE_PATTERN);
    expect(order(w.ranks.queued, 7)).toEqual([0, 1, 2, 3, 0, 1, 0]);
    expect(perRank(w.endpoint('U'))).toEqual([3, 2, 1, 1]);
    expect(endedOnce(w.ended, 7)).toBe(true);
  });

  it('minimum_tokens_legacy: the rank holding the fewest KV + waiting prompt tokens, lowest on ties', () => {
    // Prompts 1000, 100, 500, 10, 10, 10, 200, all long, 0.1 ms apart (each is admitted before the
    // next arrives; KV counts whole 16-token blocks). Loads seen: r0 (0,0,0,0) -> 0;
    // r1 (1008,0,0,0) -> 1; r2 (1008,112,0,0) -> 2; r3 (1008,112,512,0) -> 3;
    // r4 (1008,112,512,16) -> 3; r5 (...,32) -> 3; r6 (...,48) -> 3.
    const w = dpWorld('minimum_tokens_legacy');
    const prompts = [1000, 100, 500, 10, 10, 10, 200];
    w.run(prompts.map((p, i) => request(i, i * 0.0001, p, 1000)));
    expect(order(w.ranks.queued, 7)).toEqual([0, 1, 2, 3, 3, 3, 3]);
    expect(perRank(w.endpoint('U'))).toEqual([1, 1, 1, 4]);
  });
});

describe('DP ranks in PD: the prefill and decode rank indices match', () => {
  for (const [pMethod, dMethod] of [
    ['round_robin', 'round_robin'],
    ['follow_bootstrap_room', 'follow_bootstrap_room'],
    ['round_robin', 'follow_bootstrap_room'],
  ]) {
    it(`prefill ${pMethod}, decode ${dMethod}: rank = bootstrap room % 4 on both sides`, () => {
      const w = pdWorld({
        instances: [
          { id: 'P0', role: 'prefill', dp: 4, dpDispatch: pMethod },
          { id: 'D0', role: 'decode', dp: 4, dpDispatch: dMethod },
        ],
        policy: createPdPolicy('sglang-pd', { prefill: 'round_robin', decode: 'round_robin' }),
      });
      const p = recordRanks(w.endpoint('P0'));
      const d = recordRanks(w.endpoint('D0'));
      const n = 24;
      w.run(Array.from({ length: n }, (_, i) => request(i, i * 0.0003, 50 + i * 7, 5)));
      expect(endedOnce(w.ended, n)).toBe(true);
      const want = Array.from({ length: n }, (_, i) => bootstrapRoomOf(i) % 4);
      expect(order(p.queued, n)).toEqual(want);
      expect(order(d.reserved, n)).toEqual(want);
      // The rooms do spread: not every request on one rank.
      expect(new Set(want).size).toBeGreaterThan(1);
      const counts = [0, 1, 2, 3].map((r) => want.filter((x) => x === r).length);
      expect(perRank(w.endpoint('P0'))).toEqual(counts);
      expect(perRank(w.endpoint('D0'))).toEqual(counts);
      expect(w.violations).toEqual([]);
    });
  }

  it('a reservation that waits for KV is counted once, on the rank that takes it', () => {
    // Decode ranks of 64 tokens (4 blocks); prompts of 40 tokens (3 blocks), output 8: one request
    // per rank at a time, so most reservations fail first and are retried on every KV release.
    const w = pdWorld({
      instances: [
        { id: 'P0', role: 'prefill' },
        { id: 'D0', role: 'decode', dp: 2, dpDispatch: 'follow_bootstrap_room', kvTokens: 64 },
      ],
    });
    const d = recordRanks(w.endpoint('D0'));
    const n = 10;
    w.run(Array.from({ length: n }, (_, i) => request(i, i * 0.0005, 40, 8)));
    expect(endedOnce(w.ended, n)).toBe(true);
    const want = Array.from({ length: n }, (_, i) => bootstrapRoomOf(i) % 2);
    expect(order(d.reserved, n)).toEqual(want);
    expect(w.ended.some((e) => e.pd!.kvWait > 0)).toBe(true);
    expect(perRank(w.endpoint('D0'))).toEqual([0, 1].map((r) => want.filter((x) => x === r).length));
    expect(w.violations).toEqual([]);
  });
});
