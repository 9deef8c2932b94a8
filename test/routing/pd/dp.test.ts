import { describe, expect, it } from 'vitest';
import { RoutingConfigError, RoutingError, createDpDispatcher, knownDpMethods, type DpRankView } from '../../../src/routing/index.js';

const live = (...numReqs: number[]): DpRankView[] => numReqs.map((n) => ({ numReqs: n, numTokens: 0 }));
const req = (id: number, extra: { bootstrapRoom?: number; dataParallelRank?: number; promptTokens?: number } = {}) => ({
  id,
  promptTokens: 100,
  ...extra,
});

describe('SGLang DP dispatch', () => {
  it('round_robin: a counter outside PD; bootstrap_room % dp with a room (counter untouched)', () => {
    const rr = createDpDispatcher('round_robin');
    const ranks = live(0, 0, 0);
    expect([1, 2, 3, 4].map((i) => rr.pick(req(i), ranks))).toEqual([0, 1, 2, 0]);
    expect(rr.pick(req(5, { bootstrapRoom: 10 }), ranks)).toBe(1);
    expect(rr.pick(req(6, { bootstrapRoom: 2 ** 40 + 2 }), ranks)).toBe((2 ** 40 + 2) % 3);
    expect(rr.pick(req(7), ranks)).toBe(1); // the counter did not move for PD requests
  });

  it('an explicit data_parallel_rank overrides every method but the #7379 minimum_tokens', () => {
    const legacy = createDpDispatcher('minimum_tokens_legacy');
    expect(legacy.pick(req(1, { dataParallelRank: 2 }), [0, 5, 9].map((t) => ({ numReqs: 0, numTokens: t })))).toBe(0);
    for (const m of knownDpMethods().filter((x) => x !== 'minimum_tokens_legacy')) {
      const d = createDpDispatcher(m);
      expect(d.pick(req(1, { dataParallelRank: 2, bootstrapRoom: 0 }), live(0, 0, 9))).toBe(2);
      expect(() => d.pick(req(1, { dataParallelRank: 3 }), live(0, 0, 0))).toThrow('request 1 names data-parallel rank 3, but the instance has ranks 0..2');
      expect(() => d.pick(req(1), [])).toThrow(RoutingError);
    }
  });

  it('shortest_queue with live loads: the budget queue is rebuilt at every pick (lowest rank among the least loaded)', () => {
    const sq = createDpDispatcher('shortest_queue');
    expect(sq.pick(req(1), live(3, 1, 2))).toBe(1);
    expect(sq.pick(req(2), live(3, 2, 1))).toBe(2);
    expect(sq.pick(req(3), live(2, 1, 1))).toBe(1);
    // All equal: empty budget, round-robin fallback (bootstrap room in PD).
    expect([sq.pick(req(4), live(1, 1, 1)), sq.pick(req(5), live(1, 1, 1))]).toEqual([0, 1]);
    expect(sq.pick(req(6, { bootstrapRoom: 5 }), live(1, 1, 1))).toBe(2);
  });

  it('shortest_queue with stale reports: DPBudget levels the ranks, then falls back to round robin', () => {
    const sq = createDpDispatcher('shortest_queue');
    const report = (t: number, ...n: number[]) => n.map((x) => ({ numReqs: x, numTokens: 0, updatedAt: t }));
    // num_reqs [3, 1, 2]: rank 1 x (2 - 1), then ranks 1 and 2 x (3 - 2): budget [1, 1, 2].
    const r1 = report(1, 3, 1, 2);
    expect([1, 2, 3, 4, 5].map((i) => sq.pick(req(i), r1))).toEqual([1, 1, 2, 0, 1]);
    // A new report rebuilds: [0, 5, 5, 4] -> rank 0 x 4, then ranks 0 and 3 x 1: [0,0,0,0,0,3].
    const r2 = report(2, 0, 5, 5, 4);
    expect([1, 2, 3, 4, 5, 6].map((i) => sq.pick(req(i), r2))).toEqual([0, 0, 0, 0, 0, 3]);
  });

  it('minimum_tokens as SGLang after #11170 had it: deprecated, warns once, runs round_robin (room % dp in PD)', () => {
    const warnings: string[] = [];
    const mt = createDpDispatcher('minimum_tokens', (m) => warnings.push(m));
    const skewed = [9000, 0, 0, 0].map((t) => ({ numReqs: 0, numTokens: t })); // token balancing would never pick rank 0
    expect([1, 2, 3, 4, 5].map((i) => mt.pick(req(i), skewed))).toEqual([0, 1, 2, 3, 0]);
    expect(mt.pick(req(6, { bootstrapRoom: 13 }), skewed)).toBe(1);
    expect(mt.pick(req(7, { dataParallelRank: 2 }), skewed)).toBe(2);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/deprecated .* round_robin/);
  });

  it('minimum_tokens_legacy (sglang #7379): argmin of held + on-the-fly tokens, lowest rank on a tie', () => {
    const mt = createDpDispatcher('minimum_tokens_legacy');
    const tokens = (t: number | undefined, ...n: number[]) => n.map((x) => ({ numReqs: 0, numTokens: x, updatedAt: t }));
    expect(mt.pick(req(1), tokens(undefined, 100, 50, 50))).toBe(1); // live counts: no on-the-fly
    expect(mt.pick(req(2), tokens(undefined, 100, 50, 50))).toBe(1);
    const snap = tokens(7, 100, 50, 50);
    // Between reports the controller adds what it dispatched: [100, 50, 50] -> 1; [100, 80, 50] -> 2;
    // [100, 80, 80] -> 1; [100, 110, 80] -> 2.
    expect([1, 2, 3, 4].map((i) => mt.pick(req(i, { promptTokens: 30 }), snap))).toEqual([1, 2, 1, 2]);
    // [100, 110, 110] now; a new report resets the on-the-fly tokens.
    expect(mt.pick(req(5), tokens(8, 100, 50, 50))).toBe(1);
  });

  it('follow_bootstrap_room needs a room; unknown methods are config errors', () => {
    const f = createDpDispatcher('follow_bootstrap_room');
    expect(f.pick(req(1, { bootstrapRoom: 7 }), live(0, 0, 0, 0))).toBe(3);
    expect(() => f.pick(req(2), live(0, 0))).toThrow(/has no bootstrap room/);
    expect(() => createDpDispatcher('total_tokens')).toThrow(RoutingConfigError);
    expect(() => createDpDispatcher('total_tokens')).toThrow(
      'unknown DP load-balance method "total_tokens"; known: round_robin, shortest_queue, minimum_tokens, minimum_tokens_legacy, follow_bootstrap_room',
    );
  });
});
