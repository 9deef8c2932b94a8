import { describe, expect, it } from 'vitest';
import {
  PdFleetError,
  PdGateway,
  PolicyRuntimeError,
  RoutingConfigError,
  RoutingError,
  UnknownPdPolicyError,
  bootstrapRoomOf,
  createPdPolicy,
  hasPdPolicy,
  knownPdPolicies,
  registerPdPolicy,
  splitPdEndpoints,
  type EndpointView,
  type PdDispatchInfo,
  type PdGatewayOptions,
  type PdRoutingPolicy,
  type RequestView,
} from '../../../src/routing/index.js';
import { makeCtx, request, type TestEndpoint } from '../helpers.js';
import { pdEp } from './pd-helpers.js';

/** Always the first prefill and the first decode candidate (or the decode alone with `same`). */
function firstPolicy(same = false): PdRoutingPolicy {
  return {
    name: 'first',
    selectPair(_req, prefill, decode) {
      if (decode.length === 0 || (!same && prefill.length === 0)) return undefined;
      return { prefill: same ? decode[0] : prefill[0], decode: decode[0] };
    },
  };
}

function gw(policy: PdRoutingPolicy, eps: TestEndpoint[], extra: Partial<PdGatewayOptions> = {}) {
  const ctx = makeCtx(5);
  const sent: Array<{ id: number; p: string; d: string; info: PdDispatchInfo }> = [];
  const rejected: Array<[number, string]> = [];
  const g = new PdGateway({
    policy,
    mode: 'push',
    endpoints: eps,
    ctx,
    dispatch: (r, p, d, info) => {
      sent.push({ id: r.id, p: p.id, d: d.id, info });
      (p as TestEndpoint).cap.freeSlots--; // the prefill instance queues the prompt
    },
    reject: (r, why) => rejected.push([r.id, why]),
    ...extra,
  });
  return { g, ctx, sent, rejected };
}

const pick = (e: EndpointView) => {
  const c = e.counters;
  return [c.inflight, c.prefillInflight, c.pendingDecode, c.decodeRunning, c.decodeStarted, c.dispatched, c.completed];
};

describe('PD fleet validation', () => {
  it('needs both roles, no unified endpoints, groups on all or none, both roles in every roleset', () => {
    const cases: Array<[TestEndpoint[], string]> = [
      [[pdEp(0, 'decode'), pdEp(1, 'decode')], 'PD policy "first" needs at least one prefill endpoint; the fleet has none (decode: D0, D1)'],
      [[pdEp(0, 'prefill')], 'PD policy "first" needs at least one decode endpoint; the fleet has none (prefill: P0)'],
      [[pdEp(0, 'prefill'), pdEp(1, 'decode'), pdEp(2, 'unified')], 'PD policy "first" takes prefill and decode endpoints only; U2 has role "unified"'],
      [
        [pdEp(0, 'prefill', { group: 'A' }), pdEp(1, 'decode', { group: 'A' }), pdEp(2, 'prefill', { group: 'B' }), pdEp(3, 'prefill', { group: 'B' })],
        'roleset "B" has prefill endpoints (P2, P3) but no decode endpoint; every roleset needs both roles',
      ],
      [
        [pdEp(0, 'prefill', { group: 'A' }), pdEp(1, 'decode', { group: 'A' }), pdEp(2, 'decode')],
        'D2 has no roleset (group) while other endpoints do; give every endpoint a group, or none',
      ],
    ];
    for (const [eps, message] of cases) {
      let err: unknown;
      try {
        gw(firstPolicy(), eps);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PdFleetError);
      expect(err).toBeInstanceOf(RoutingConfigError);
      expect((err as Error).message).toBe(message);
      expect((err as RoutingConfigError).field).toBe('fleet');
    }
    const ok = splitPdEndpoints([pdEp(0, 'prefill', { group: 'A' }), pdEp(1, 'decode', { group: 'A' })]);
    expect([ok.prefill.length, ok.decode.length]).toEqual([1, 1]);
  });
});

describe('PdGateway push mode', () => {
  it('moves the PD counters at dispatch, prefill done and completion', () => {
    const [p, d] = [pdEp(0, 'prefill'), pdEp(1, 'decode')];
    const { g, sent, ctx } = gw(firstPolicy(), [p, d]);
    const r = request(7, { promptTokens: 300 });
    g.submit(r);
    expect(sent).toEqual([{ id: 7, p: 'P0', d: 'D1', info: { bootstrapRoom: bootstrapRoomOf(7), disaggregated: true } }]);
    // [inflight, prefillInflight, pendingDecode, decodeRunning, decodeStarted, dispatched, completed]
    expect(pick(p)).toEqual([1, 1, 0, 0, 0, 1, 0]);
    expect(pick(d)).toEqual([1, 0, 1, 0, 0, 1, 0]);
    expect(g.pendingDecodeTokens(d)).toBe(300);
    expect(p.counters.inflightPromptTokens).toBe(300);
    g.prefillDone(r, p);
    expect(pick(p)).toEqual([1, 0, 0, 0, 0, 1, 0]);
    expect(pick(d)).toEqual([1, 0, 0, 1, 1, 1, 0]);
    expect(g.pendingDecodeTokens(d)).toBe(0);
    ctx.t = 2;
    g.complete(r, d, { outputTokens: 10, ttft: 0.5, e2e: 2 });
    expect(pick(p)).toEqual([0, 0, 0, 0, 0, 1, 1]);
    expect(pick(d)).toEqual([0, 0, 0, 0, 1, 1, 1]);
    expect(g.inflight).toBe(0);
  });

  it('a pair with prefill === decode counts once and is not disaggregated', () => {
    const [p, d] = [pdEp(0, 'prefill'), pdEp(1, 'decode')];
    const { g, sent } = gw(firstPolicy(true), [p, d]);
    const r = request(1);
    g.submit(r);
    expect(sent[0]).toMatchObject({ p: 'D1', d: 'D1', info: { disaggregated: false } });
    expect(pick(d)).toEqual([1, 1, 1, 0, 0, 1, 0]);
    g.prefillDone(r, d);
    g.complete(r, d, { outputTokens: 1, ttft: 0, e2e: 0 });
    expect(pick(d)).toEqual([0, 0, 0, 0, 1, 1, 1]);
    expect(pick(p)).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it('a completion without prefill done ends the prefill trackers (aborted request)', () => {
    const [p, d] = [pdEp(0, 'prefill'), pdEp(1, 'decode')];
    const { g } = gw(firstPolicy(), [p, d]);
    g.submit(request(1));
    g.complete(request(1), d, { outputTokens: 0, ttft: 0, e2e: 0 });
    expect(pick(p)).toEqual([0, 0, 0, 0, 0, 1, 1]);
    expect(pick(d)).toEqual([0, 0, 0, 0, 0, 1, 1]);
  });

  it('rejects when the policy selects no pair', () => {
    const none: PdRoutingPolicy = { name: 'none', selectPair: () => undefined };
    const { g, rejected } = gw(none, [pdEp(0, 'prefill'), pdEp(1, 'decode')]);
    g.submit(request(9));
    expect(rejected).toEqual([[9, 'PD policy none selected no (prefill, decode) pair']]);
  });

  it('feeds the AIBrix trackers to the pd policy', () => {
    const eps = [pdEp(0, 'prefill', { group: 'A' }), pdEp(1, 'prefill', { group: 'B' }), pdEp(2, 'decode', { group: 'A' }), pdEp(3, 'decode', { group: 'B' })];
    const { g, sent } = gw(createPdPolicy('pd', { prefillScorePolicy: 'least_request', decodeScorePolicy: 'least_request' }), eps);
    for (let i = 0; i < 6; i++) g.submit(request(i));
    // After an odd number of dispatches the next one goes to the other roleset (score 0 vs 2).
    const groups = sent.map((s) => s.p);
    for (let i = 0; i < 6; i += 2) expect(new Set(groups.slice(i, i + 2)).size).toBe(2);
    expect(sent.every((s) => s.p.slice(1) === String(Number(s.d.slice(1)) - 2))).toBe(true);
  });

  it('drain rate: completions per second over the last 60 s, NaN before 10 s of history', () => {
    const [p, d] = [pdEp(0, 'prefill'), pdEp(1, 'decode')];
    const seen: number[] = [];
    const spy: PdRoutingPolicy = {
      name: 'spy',
      selectPair(_r, pp, dd) {
        seen.push(dd[0].counters.drainRate1m as number);
        return { prefill: pp[0], decode: dd[0] };
      },
    };
    const { g, ctx } = gw(spy, [p, d]);
    for (let i = 0; i < 3; i++) g.submit(request(i));
    ctx.t = 5;
    for (let i = 0; i < 3; i++) g.complete(request(i), d, { outputTokens: 1, ttft: 0, e2e: 5 });
    ctx.t = 8;
    g.submit(request(10));
    ctx.t = 20;
    g.submit(request(11));
    ctx.t = 64;
    g.submit(request(12));
    ctx.t = 66;
    g.submit(request(13));
    expect(seen[3]).toBeNaN();
    expect(seen.slice(4)).toEqual([3 / 20, 3 / 60, 0]);
  });
});

describe('PdGateway pull mode', () => {
  it('dispatches only when a prefill endpoint has a slot and KV and a decode endpoint has headroom', () => {
    const p = pdEp(0, 'prefill', { freeSlots: 0, freeKvTokens: 1000 });
    const d = pdEp(1, 'decode', { freeKvTokens: 300 });
    const { g, sent } = gw(firstPolicy(), [p, d], { mode: 'pull' });
    g.submit(request(1, { promptTokens: 100 }));
    expect([sent.length, g.queued]).toEqual([0, 1]);
    p.cap.freeSlots = 1;
    g.capacityChanged(); // prefill ready, decode 300 < 100 + 256
    expect(sent.length).toBe(0);
    d.cap.freeKvTokens = 356;
    g.capacityChanged();
    expect([sent.length, g.queued]).toEqual([1, 0]);
  });

  it('decode headroom subtracts prompts routed there whose prefill has not finished', () => {
    const p = pdEp(0, 'prefill', { freeSlots: 10 });
    const d = pdEp(1, 'decode', { freeKvTokens: 500 });
    const { g, sent } = gw(firstPolicy(), [p, d], { mode: 'pull' });
    for (let i = 1; i <= 3; i++) g.submit(request(i, { promptTokens: 100 }));
    // 500 >= 356; 500 - 100 >= 356; 500 - 200 < 356
    expect(sent.map((s) => s.id)).toEqual([1, 2]);
    d.cap.freeKvTokens = 400; // request 1's KV arrives at the decode instance
    g.prefillDone(request(1, { promptTokens: 100 }), p); // 400 - 100 < 356: still waiting
    expect(sent.length).toBe(2);
    d.cap.freeKvTokens = 500;
    g.complete(request(1, { promptTokens: 100 }), d, { outputTokens: 3, ttft: 0, e2e: 1 }); // 500 - 100 >= 356
    expect(sent.map((s) => s.id)).toEqual([1, 2, 3]);
  });

  it('strict FIFO by default; pullSkipBlocked lets later requests that fit go first', () => {
    for (const skip of [false, true]) {
      const p = pdEp(0, 'prefill', { freeSlots: 5, freeKvTokens: 1000 });
      const d = pdEp(1, 'decode', { freeKvTokens: 100000 });
      const { g, sent } = gw(firstPolicy(), [p, d], { mode: 'pull', pullSkipBlocked: skip, decodeOutputAllowance: 0 });
      g.submit(request(1, { promptTokens: 5000 })); // no prefill endpoint has KV for it
      g.submit(request(2, { promptTokens: 10 }));
      expect(sent.map((s) => s.id)).toEqual(skip ? [2] : []);
    }
  });

  it('decode-only pairs (llm-d short prompts) need only decode headroom; custom capacity callbacks', () => {
    const p = pdEp(0, 'prefill', { freeSlots: 0 });
    const d = pdEp(1, 'decode', { freeKvTokens: 1000 });
    const { g, sent } = gw(createPdPolicy('llm-d-pd'), [p, d], { mode: 'pull' });
    g.submit(request(1, { promptTokens: 10 })); // below the 16-token threshold: runs on D
    g.submit(request(2, { promptTokens: 500 })); // wants a prefill endpoint: none has a slot
    expect(sent.map((s) => [s.id, s.p, s.d])).toEqual([[1, 'D1', 'D1']]);
    expect(g.queued).toBe(1);
    const seen: number[] = [];
    const h = gw(firstPolicy(), [pdEp(0, 'prefill'), pdEp(1, 'decode')], {
      mode: 'pull',
      hasDecodeCapacity: (_r: RequestView, _e: EndpointView, pending: number) => (seen.push(pending), pending === 0),
    });
    h.g.submit(request(1, { promptTokens: 70 }));
    h.g.submit(request(2, { promptTokens: 70 }));
    expect(seen).toEqual([0, 70]);
    expect(h.sent.length).toBe(1);
  });
});

describe('PdGateway errors', () => {
  it('wraps a throwing policy into PolicyRuntimeError with the policy name, request id and phase', () => {
    const eps = () => [pdEp(0, 'prefill'), pdEp(1, 'decode')];
    const bad: PdRoutingPolicy = {
      name: 'bad',
      selectPair: () => {
        throw new TypeError('boom');
      },
    };
    expect(() => gw(bad, eps()).g.submit(request(42))).toThrow('routing policy "bad" failed in selectPair for request 42: boom');
    const hook: PdRoutingPolicy = {
      ...firstPolicy(),
      name: 'hook',
      onPrefillDone: () => {
        throw new Error('x');
      },
    };
    const h = gw(hook, eps());
    h.g.submit(request(3));
    let err: unknown;
    try {
      h.g.prefillDone(request(3), h.g.prefill[0]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PolicyRuntimeError);
    expect((err as PolicyRuntimeError).phase).toBe('onPrefillDone');
    expect((err as PolicyRuntimeError).requestId).toBe(3);
    const stray: PdRoutingPolicy = { name: 'stray', selectPair: (_r, p) => ({ prefill: p[0], decode: p[0] }) };
    expect(() => gw(stray, eps()).g.submit(request(5))).toThrow(
      'routing policy "stray" failed in selectPair for request 5: returned decode endpoint P0 that is not a decode candidate',
    );
  });

  it('host calls that do not match a dispatched request are RoutingErrors', () => {
    const { g } = gw(firstPolicy(), [pdEp(0, 'prefill'), pdEp(1, 'decode')]);
    const [p, d] = [g.prefill[0], g.decode[0]];
    expect(() => g.complete(request(1), d, { outputTokens: 1, ttft: 0, e2e: 0 })).toThrow(RoutingError);
    g.submit(request(1));
    expect(() => g.submit(request(1))).toThrow('request id 1 is already in flight in the PD gateway');
    expect(() => g.prefillDone(request(1), d)).toThrow('prefillDone for request 1 on D1, but its prefill was sent to P0');
    g.prefillDone(request(1), p);
    expect(() => g.prefillDone(request(1), p)).toThrow('prefillDone called twice for request 1');
    expect(() => g.complete(request(1), p, { outputTokens: 1, ttft: 0, e2e: 0 })).toThrow(/its decode was sent to D1/);
  });
});

describe('PD registry', () => {
  it('knows the production names, rejects unknown ones, accepts registrations', () => {
    expect(knownPdPolicies()).toEqual(['llm-d-pd', 'pd', 'sglang-pd', 'slo-pd']);
    expect(() => createPdPolicy('pd-fast')).toThrow(UnknownPdPolicyError);
    expect(() => createPdPolicy('pd-fast')).toThrow('unknown prefill/decode routing policy "pd-fast"; known PD policies: llm-d-pd, pd, sglang-pd');
    registerPdPolicy('first-test', () => firstPolicy());
    expect(hasPdPolicy('first-test')).toBe(true);
    expect(createPdPolicy('first-test').name).toBe('first');
    expect(() => registerPdPolicy('bad name', () => firstPolicy())).toThrow(RoutingConfigError);
  });

  it('bootstrap rooms are deterministic safe integers spread over DP ranks', () => {
    const rooms = Array.from({ length: 4000 }, (_, i) => bootstrapRoomOf(i));
    expect(rooms.every((r) => Number.isSafeInteger(r) && r >= 0)).toBe(true);
    expect(bootstrapRoomOf(12345)).toBe(bootstrapRoomOf(12345));
    const perRank = [0, 0, 0, 0];
    for (const r of rooms) perRank[r % 4]++;
    expect(perRank.every((n) => n > 900 && n < 1100)).toBe(true);
  });
});
