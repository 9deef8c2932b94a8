import { describe, expect, it } from 'vitest';
import {
  Gateway,
  PolicyRuntimeError,
  ProfileSet,
  RoutingConfigError,
  createPolicy,
  type RoutingPolicy,
} from '../../src/routing/index.js';
import { endpoint, makeCtx, request } from './helpers.js';

function gw(policy: RoutingPolicy, eps: ReturnType<typeof endpoint>[], extra: Partial<ConstructorParameters<typeof Gateway>[0]> = {}) {
  const ctx = makeCtx(5);
  const sent: Array<[number, string, number]> = [];
  const rejected: Array<[number, string]> = [];
  const g = new Gateway({
    policy,
    mode: 'pull',
    endpoints: eps,
    ctx,
    dispatch: (r, e) => {
      sent.push([r.id, e.id, ctx.now()]);
      // The instance admits the request: it reports one free slot less from now on.
      const t = eps.find((x) => x === e);
      if (t) t.cap.freeSlots--;
    },
    reject: (r, why) => rejected.push([r.id, why]),
    ...extra,
  });
  return { g, ctx, sent, rejected };
}

describe('Gateway push mode', () => {
  it('moves the gateway counters at dispatch and completion', () => {
    const eps = [endpoint(0), endpoint(1)];
    const { g, sent } = gw(createPolicy('least-request'), eps, { mode: 'push' });
    const r = request(1, { promptTokens: 300 });
    g.submit(r);
    const e = eps.find((x) => x.id === sent[0][1])!;
    expect(e.counters).toMatchObject({ inflight: 1, inflightPromptTokens: 300, dispatched: 1, completed: 0, pendingLoad: 0 });
    g.complete(r, e, { outputTokens: 5, ttft: 0.1, e2e: 1 });
    expect(e.counters).toMatchObject({ inflight: 0, inflightPromptTokens: 0, dispatched: 1, completed: 1 });
  });

  it('rejects when the policy selects nothing', () => {
    const none: RoutingPolicy = { name: 'none', select: () => undefined };
    const { g, rejected } = gw(none, [endpoint(0)], { mode: 'push' });
    g.submit(request(9));
    expect(rejected).toEqual([[9, 'policy none selected no endpoint']]);
  });

  it('wraps a throwing policy into PolicyRuntimeError with the policy name and request id', () => {
    const bad: RoutingPolicy = {
      name: 'bad',
      select: () => {
        throw new TypeError('boom');
      },
    };
    const { g } = gw(bad, [endpoint(0), endpoint(1)], { mode: 'push' });
    try {
      g.submit(request(42));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PolicyRuntimeError);
      expect((e as PolicyRuntimeError).policy).toBe('bad');
      expect((e as PolicyRuntimeError).requestId).toBe(42);
      expect((e as Error).message).toBe('routing policy "bad" failed in select for request 42: boom');
    }
    const badHook: RoutingPolicy = {
      name: 'hook',
      select: (_r, eps) => eps[0],
      onComplete: () => {
        throw new Error('x');
      },
    };
    const h = gw(badHook, [endpoint(0), endpoint(1)], { mode: 'push' });
    h.g.submit(request(1));
    expect(() => h.g.complete(request(1), endpoint(0), { outputTokens: 1, ttft: 0, e2e: 0 })).toThrow(/failed in onComplete for request 1/);
  });
});

describe('Gateway pull mode with instance capacity', () => {
  it('offers the head only to endpoints with a free slot and KV room for the prompt', () => {
    const eps = [endpoint(0, { freeSlots: 0 }), endpoint(1, { freeKvTokens: 50 }), endpoint(2, { freeKvTokens: 500 })];
    const seen: string[][] = [];
    const spy: RoutingPolicy = { name: 'spy', select: (_r, c) => (seen.push(c.map((e) => e.id)), c[0]) };
    const { g, sent } = gw(spy, eps);
    g.submit(request(1, { promptTokens: 100 }));
    expect(seen).toEqual([['A100-2']]);
    expect(sent).toEqual([[1, 'A100-2', 0]]);
  });

  it('queues when nothing has capacity and dispatches at the completion or capacity change', () => {
    const eps = [endpoint(0, { freeSlots: 0 }), endpoint(1, { freeSlots: 0 })];
    const { g, ctx, sent } = gw(createPolicy('least-request'), eps);
    g.submit(request(1));
    g.submit(request(2));
    expect(g.queued).toBe(2);
    ctx.t = 3;
    eps[1].cap.freeSlots = 1;
    g.capacityChanged();
    expect(sent).toEqual([[1, 'A100-1', 3]]); // leaves the router queue at t=3
    expect(g.queued).toBe(1);
    ctx.t = 4;
    eps[0].cap.freeSlots = 1;
    g.complete(request(1), eps[1], { outputTokens: 1, ttft: 0, e2e: 1 });
    expect(sent[1]).toEqual([2, 'A100-0', 4]);
  });

  it('is strict FIFO by default; pullSkipBlocked lets smaller requests pass a blocked head', () => {
    const mk = () => [endpoint(0, { freeKvTokens: 200 })];
    const strict = gw(createPolicy('least-request'), mk());
    strict.g.submit(request(1, { promptTokens: 1000 }));
    strict.g.submit(request(2, { promptTokens: 100 }));
    expect(strict.sent).toEqual([]);
    const skip = gw(createPolicy('least-request'), mk(), { pullSkipBlocked: true });
    skip.g.submit(request(1, { promptTokens: 1000 }));
    skip.g.submit(request(2, { promptTokens: 100 }));
    expect(skip.sent.map((s) => s[0])).toEqual([2]);
    expect(skip.g.queued).toBe(1);
  });

  it('can use AIBrix pending load as the capacity notion for any policy', () => {
    const set = new ProfileSet();
    set.add('m', 'A100', { gpu: 'a', cost: 1, tputs: [[2]], indexes: [[4], [128]], created: 1, e2e: [[1]], slos: { e2e: 5 } });
    const eps = [endpoint(0), endpoint(1)];
    const { g, sent } = gw(createPolicy('random'), eps, { profiles: set, pullCapacity: 'pending-load' });
    for (let i = 1; i <= 5; i++) g.submit(request(i)); // consumption 0.5: two per endpoint
    expect(sent).toHaveLength(4);
    expect(eps.map((e) => e.counters.pendingLoad)).toEqual([1, 1]);
    expect(g.queued).toBe(1);
    g.complete(request(1), eps.find((e) => e.id === sent[0][1])!, { outputTokens: 4, ttft: 0, e2e: 1 });
    expect(sent).toHaveLength(5);
  });

  it('pending load: a profile without e2e consumes 0, so its endpoints never fill (AIBrix quirk)', () => {
    const set = new ProfileSet();
    set.add('m', 'A100', { gpu: 'a', cost: 1, tputs: [[2]], indexes: [[4], [128]], created: 1 });
    const eps = [endpoint(0), endpoint(1)];
    const { g, sent } = gw(createPolicy('random'), eps, { profiles: set, pullCapacity: 'pending-load' });
    for (let i = 1; i <= 6; i++) g.submit(request(i));
    expect(sent).toHaveLength(6);
    expect(eps.map((e) => e.counters.pendingLoad)).toEqual([0, 0]);
  });

  it('pending load: requests whose bucket has zero throughput everywhere are rejected', () => {
    const set = new ProfileSet();
    set.add('m', 'A100', { gpu: 'a', cost: 1, tputs: [[0]], indexes: [[4], [128]], created: 1, e2e: [[1]], slos: { e2e: 5 } });
    const { g, rejected } = gw(createPolicy('random'), [endpoint(0), endpoint(1)], { profiles: set, pullCapacity: 'pending-load' });
    g.submit(request(1));
    expect(rejected).toEqual([[1, 'no endpoint can serve this request within its SLO (profile throughput 0)']]);
  });

  it('refuses pending-load capacity without profiles', () => {
    expect(() => gw(createPolicy('random'), [endpoint(0)], { pullCapacity: 'pending-load' })).toThrow(RoutingConfigError);
  });

  it('calls onFirstToken only through firstToken()', () => {
    const calls: number[] = [];
    const p: RoutingPolicy = { name: 'p', select: (_r, e) => e[0], onFirstToken: (r) => calls.push(r.id) };
    const { g } = gw(p, [endpoint(0)], { mode: 'push' });
    g.firstToken(request(3), endpoint(0));
    expect(calls).toEqual([3]);
  });
});
