import { describe, expect, it } from 'vitest';
import {
  Gateway,
  ProfileSet,
  createPolicy,
  parseAibrixProfile,
  type AibrixProfile,
  type EndpointView,
  type RequestView,
  type RoutingPolicy,
} from '../../src/routing/index.js';
import { endpoint, makeCtx, request, type TestCtx } from './helpers.js';

/**
 * Two GPU types. Ticks: output [4, 64], input [128, 1024]. With no predictor history every
 * request predicts output 1 -> output tick 4.
 *   H100: tputs [[10, 5], [4, 2]], e2e [[0.5, 1.0], [2.0, 4.0]]
 *   A10:  tputs [[5, 2], [2, 0]],  e2e [[1.0, 2.0], [4.0, 6.0]]
 * Both target E2E 3 s. Consumption 1/(tput x e2e): H100 (4,128) = 0.2, A10 (4,128) = 0.2,
 * H100 (4,1024) = 0.2, A10 (4,1024) = 0.25.
 */
function profiles(slos: AibrixProfile['slos'] = { percentile: 99, e2e: 3 }): ProfileSet {
  const set = new ProfileSet();
  const idx = [[4, 64], [128, 1024]];
  set.add('m', 'H100', { gpu: 'h100', cost: 3, tputs: [[10, 5], [4, 2]], indexes: idx, created: 1, e2e: [[0.5, 1.0], [2.0, 4.0]], slos });
  set.add('m', 'A10', { gpu: 'a10', cost: 1, tputs: [[5, 2], [2, 0]], indexes: idx, created: 1, e2e: [[1.0, 2.0], [4.0, 6.0]], slos });
  return set;
}

interface Harness {
  ctx: TestCtx;
  gw: Gateway;
  policy: RoutingPolicy;
  eps: ReturnType<typeof endpoint>[];
  sent: Array<{ id: number; ep: string; at: number }>;
  rejected: Array<{ id: number; reason: string }>;
}

function harness(name: string, eps: ReturnType<typeof endpoint>[], options: Record<string, unknown> = {}): Harness {
  const ctx = makeCtx(7);
  const policy = createPolicy(name, options);
  const sent: Harness['sent'] = [];
  const rejected: Harness['rejected'] = [];
  const gw = new Gateway({
    policy,
    mode: 'pull',
    endpoints: eps,
    ctx,
    dispatch: (r, e) => sent.push({ id: r.id, ep: e.id, at: ctx.now() }),
    reject: (r, reason) => rejected.push({ id: r.id, reason }),
  });
  return { ctx, gw, policy, eps, sent, rejected };
}

describe('SLO queue ranking and spill', () => {
  it('ranks heads by waited + expected - target and serves the most urgent first', () => {
    const eps = [endpoint(0, { gpuType: 'H100' }), endpoint(1, { gpuType: 'A10' })];
    const policy = createPolicy('slo', { profiles: profiles() });
    const q = policy.queue!;
    const ctx = makeCtx(3, 2);
    const r1 = request(1, { promptTokens: 100, arrival: 0 }); // H100: 2 + 0.5 - 3 = -0.5
    const r2 = request(2, { promptTokens: 1000, arrival: 1 }); // H100: 1 + 1.0 - 3 = -1.0
    q.enqueue(r2, ctx);
    q.enqueue(r1, ctx);
    const d1 = q.next(eps, ctx)!;
    expect(d1.kind).toBe('dispatch');
    expect([d1.req.id, d1.kind === 'dispatch' && d1.endpoint.id]).toEqual([1, 'H100-0']);
    const d2 = q.next(eps, ctx)!;
    expect([d2.req.id, d2.kind === 'dispatch' && d2.endpoint.id]).toEqual([2, 'H100-0']);
    expect(q.next(eps, ctx)).toBeUndefined();
    expect(q.length).toBe(0);
  });

  it('keeps FIFO order inside one (output, input) sub-queue', () => {
    const eps = [endpoint(0, { gpuType: 'H100' })];
    const policy = createPolicy('slo', { profiles: profiles() });
    const ctx = makeCtx(3, 10);
    policy.queue!.enqueue(request(1, { promptTokens: 120, arrival: 5 }), ctx);
    policy.queue!.enqueue(request(2, { promptTokens: 130, arrival: 1 }), ctx); // same bucket, more urgent
    expect(policy.queue!.next(eps, ctx)!.req.id).toBe(1);
    expect(policy.queue!.next(eps, ctx)!.req.id).toBe(2);
  });

  it('spills to the next GPU type only while its rank is <= 0', () => {
    const h = endpoint(0, { gpuType: 'H100' });
    const a = endpoint(1, { gpuType: 'A10' });
    h.counters.pendingLoad = 0.9; // + 0.2 > 1: H100 is full
    const policy = createPolicy('slo', { profiles: profiles() });
    const q = policy.queue!;
    const ctx = makeCtx(3, 2);
    q.enqueue(request(1, { promptTokens: 100, arrival: 0 }), ctx); // A10 rank: 2 + 1 - 3 = 0 -> spill allowed
    const d = q.next([h, a], ctx)!;
    expect(d.kind === 'dispatch' && d.endpoint.id).toBe('A10-1');

    ctx.t = 2.5; // A10 rank 0.5 > 0: no spill; capacity error keeps the request queued
    q.enqueue(request(2, { promptTokens: 100, arrival: 0 }), ctx);
    expect(q.next([h, a], ctx)).toBeUndefined();
    expect(q.length).toBe(1);
    h.counters.pendingLoad = 0.5; // room again: dispatched to H100 despite the violated SLO
    const d2 = q.next([h, a], ctx)!;
    expect(d2.kind === 'dispatch' && d2.endpoint.id).toBe('H100-0');
  });

  it('skips a head that fits nowhere and serves the next one (capacity errors are temporary)', () => {
    const a = endpoint(0, { gpuType: 'A10' });
    a.counters.pendingLoad = 0.78;
    const policy = createPolicy('slo', { profiles: profiles() });
    const ctx = makeCtx(3, 5);
    const q = policy.queue!;
    // big: rank 5 + 2.0 - 3 = 4 (most urgent), needs 1/(2 x 2) = 0.25 -> 1.03 > 1
    // small: rank 1 + 1.0 - 3 = -1, needs 1/(5 x 1) = 0.2 -> 0.98 fits
    q.enqueue(request(1, { promptTokens: 1000, arrival: 0 }), ctx);
    q.enqueue(request(2, { promptTokens: 100, arrival: 4 }), ctx);
    const d = q.next([a], ctx)!;
    expect(d.kind === 'dispatch' && d.req.id).toBe(2);
    expect(q.next([a], ctx)).toBeUndefined(); // the big one still waits
    a.counters.pendingLoad = 0.75; // exactly 1.0 with the request: allowed (U + c <= 1)
    expect(q.next([a], ctx)!.req.id).toBe(1);
  });

  it('least-load picks the least loaded pod, pack-load the fullest pod that still fits', () => {
    const mk = () => [
      endpoint(0, { gpuType: 'H100' }),
      endpoint(1, { gpuType: 'H100' }),
      endpoint(2, { gpuType: 'H100' }),
    ];
    const loads = [0.4, 0.6, 0.9];
    for (const [name, want] of [
      ['slo', 'H100-0'],
      ['slo-pack-load', 'H100-1'], // 0.6 + 0.2 = 0.8 is the fullest <= 1 (0.9 + 0.2 > 1)
      ['slo-least-load', 'H100-0'],
    ] as const) {
      const eps = mk();
      eps.forEach((e, i) => (e.counters.pendingLoad = loads[i]));
      const p = createPolicy(name, { profiles: profiles() });
      const ctx = makeCtx(3, 0);
      p.queue!.enqueue(request(1), ctx);
      const d = p.queue!.next(eps, ctx)!;
      expect(d.kind === 'dispatch' && d.endpoint.id, name).toBe(want);
    }
  });

  it('slo-least-load has no cap: it dispatches to a full GPU type (push)', () => {
    const h = endpoint(0, { gpuType: 'H100' });
    h.counters.pendingLoad = 5;
    const p = createPolicy('slo-least-load', { profiles: profiles() });
    const ctx = makeCtx(3, 0);
    p.queue!.enqueue(request(1), ctx);
    expect(p.queue!.next([h], ctx)!.kind).toBe('dispatch');
  });

  it('rejects when every GPU type has zero throughput for the bucket (ErrorSLOFailureRequest)', () => {
    const a = endpoint(0, { gpuType: 'A10' });
    const b = endpoint(1, { gpuType: 'A10' });
    const p = createPolicy('slo', { profiles: profiles() });
    const ctx = makeCtx(3, 0);
    // Teach the predictor that prompts near 1024 produce 64 tokens: bucket (64, 1024), A10 tput 0.
    p.pendingLoad!.observe(1000, 64, 0);
    p.queue!.enqueue(request(1, { promptTokens: 1000 }), ctx);
    const d = p.queue!.next([a, b], ctx)!;
    expect(d.kind).toBe('reject');
    expect(d.kind === 'reject' && d.reason).toMatch(/ErrorSLOFailureRequest/);
    // slo-least-load never computes consumption: the same request is routed.
    const push = createPolicy('slo-least-load', { profiles: profiles() });
    push.pendingLoad!.observe(1000, 64, 0);
    push.queue!.enqueue(request(2, { promptTokens: 1000 }), ctx);
    expect(push.queue!.next([a, b], ctx)!.kind).toBe('dispatch');
  });

  it('uses the TPOT target tpot x predicted output + ttft', () => {
    // predicted output 64 (history), prompt 100: e2e H100 = 2.0. Target = 0.02 x 64 + 1 = 2.28.
    // rank = waited + 2.0 - 2.28: at waited 0.28 exactly 0; A10 e2e 4.0 -> rank 2.0 (no spill).
    const h = endpoint(0, { gpuType: 'H100' });
    const a = endpoint(1, { gpuType: 'A10' });
    h.counters.pendingLoad = 1; // full
    const p = createPolicy('slo', { profiles: profiles({ percentile: 99, tpot: 0.02, ttft: 1 }) });
    p.pendingLoad!.observe(100, 64, 0);
    const ctx = makeCtx(3, 0);
    p.queue!.enqueue(request(1, { promptTokens: 100, arrival: 0 }), ctx);
    expect(p.queue!.next([h, a], ctx)).toBeUndefined(); // H100 full, A10 rank 4 - 2.28 > 0
    const p2 = createPolicy('slo', { profiles: profiles({ percentile: 99, tpot: 0.1, ttft: 1 }) });
    p2.pendingLoad!.observe(100, 64, 0);
    // target 0.1 x 64 + 1 = 7.4: A10 rank 4 - 7.4 < 0, spill allowed
    p2.queue!.enqueue(request(1, { promptTokens: 100, arrival: 0 }), ctx);
    const d = p2.queue!.next([h, a], ctx)!;
    expect(d.kind === 'dispatch' && d.endpoint.id).toBe('A10-1');
  });
});

describe('SLO queue fallbacks', () => {
  it('without profiles: FIFO + least-request, with one warning', () => {
    const eps = [endpoint(0, { inflight: 3 }), endpoint(1, { inflight: 1 })];
    const { gw, sent, ctx } = harness('slo', eps);
    gw.submit(request(1));
    gw.submit(request(2));
    expect(sent.map((s) => [s.id, s.ep])).toEqual([
      [1, 'A100-1'],
      [2, 'A100-1'], // inflight 2 vs 3
    ]);
    expect(ctx.warnings).toHaveLength(1);
    expect(ctx.warnings[0]).toMatch(/SLOQueue found no profile available for model .*, fallback to FIFO queue .*least-request/);
  });

  it('a profile without e2e makes ranking fail: FIFO + least-request over all endpoints', () => {
    const set = profiles();
    set.add('m', 'A40', { gpu: 'a40', cost: 0.3, tputs: [[1, 1], [1, 1]], indexes: [[4, 64], [128, 1024]], created: 1, slos: { e2e: 3 } });
    const eps = [endpoint(0, { gpuType: 'H100', inflight: 5 }), endpoint(1, { gpuType: 'A40', inflight: 0 })];
    const { gw, sent, ctx } = harness('slo', eps, { profiles: set });
    gw.submit(request(1));
    expect(sent[0].ep).toBe('A40-1');
    expect(ctx.warnings.join('\n')).toMatch(/"A40" \(no e2e table\).*FIFO \+ least-request/);
    // AIBrix quirk: a profile without e2e records 0 consumption, so the pod never fills.
    expect(eps[1].counters.pendingLoad).toBe(0);
    // Without slos at all the reason is the missing SLO (checked before the table).
    const bare = profiles();
    bare.add('m', 'A40', { gpu: 'a40', cost: 0.3, tputs: [[1, 1], [1, 1]], indexes: [[4, 64], [128, 1024]], created: 1 });
    const h2 = harness('slo', eps, { profiles: bare });
    h2.gw.submit(request(2));
    expect(h2.ctx.warnings.join('\n')).toMatch(/"A40" \(no SLO target in slos\)/);
  });

  it('never routes to a GPU type without a profile (and warns)', () => {
    const eps = [endpoint(0, { gpuType: 'L4' }), endpoint(1, { gpuType: 'H100', inflight: 9 })];
    const { gw, sent, ctx } = harness('slo', eps, { profiles: profiles() });
    gw.submit(request(1));
    expect(sent[0].ep).toBe('H100-1');
    expect(ctx.warnings.join('\n')).toMatch(/profile not available for aibrix:profile_.*_L4/);
  });
});

describe('SLO queue in the gateway: pull semantics and pending load', () => {
  /** One bucket, consumption 1: a pod holds one request. */
  function unitProfiles(): ProfileSet {
    const set = new ProfileSet();
    set.add('m', 'H100', parseAibrixProfile({ gpu: 'h', cost: 1, tputs: [[1]], indexes: [[4], [128]], created: 1, e2e: [[1]], slos: { percentile: 99, e2e: 10 } }));
    return set;
  }

  it('holds requests while pods are full and dispatches on the completion that frees one', () => {
    const eps = [endpoint(0, { gpuType: 'H100' }), endpoint(1, { gpuType: 'H100' })];
    const h = harness('slo', eps, { profiles: unitProfiles() });
    const reqs = [1, 2, 3].map((id) => request(id, { arrival: id }));
    for (const r of reqs) {
      h.ctx.t = r.arrival;
      h.gw.submit(r);
    }
    expect(h.sent.map((s) => s.id)).toEqual([1, 2]);
    expect(h.gw.queued).toBe(1);
    expect(eps.map((e) => e.counters.pendingLoad)).toEqual([1, 1]);
    h.ctx.t = 7;
    const first = eps.find((e) => e.id === h.sent[0].ep)!;
    h.gw.complete(reqs[0], first, { outputTokens: 4, ttft: 0.1, e2e: 6 });
    expect(h.sent.map((s) => [s.id, s.ep, s.at])).toContainEqual([3, first.id, 7]); // left the router queue at t=7
    expect(h.gw.queued).toBe(0);
    expect(first.counters.pendingLoad).toBe(1);
  });

  it('capacityChanged does not wake a policy queue (AIBrix wakes on arrivals and completions only)', () => {
    const eps = [endpoint(0, { gpuType: 'H100' }), endpoint(1, { gpuType: 'H100' })];
    const h = harness('slo', eps, { profiles: unitProfiles() });
    for (const id of [1, 2, 3]) h.gw.submit(request(id));
    eps[0].counters.pendingLoad = 0; // changed behind the gateway's back
    h.gw.capacityChanged();
    expect(h.gw.queued).toBe(1);
    h.gw.submit(request(4)); // an arrival re-checks the whole queue
    expect(h.sent.map((s) => s.id)).toEqual([1, 2, 3]);
  });

  it('keeps pending-load accounting for any policy when profiles are given', () => {
    const eps = [endpoint(0, { gpuType: 'H100' }), endpoint(1, { gpuType: 'A10' })];
    const ctx = makeCtx(1);
    const sent: Array<[RequestView, EndpointView]> = [];
    const gw = new Gateway({
      policy: createPolicy('least-request'),
      mode: 'push',
      endpoints: eps,
      ctx,
      profiles: profiles(),
      dispatch: (r, e) => sent.push([r, e]),
      reject: () => {},
    });
    gw.submit(request(1, { promptTokens: 1000 }));
    const [r, e] = sent[0];
    expect(e.counters.pendingLoad).toBeCloseTo(e.gpuType === 'H100' ? 0.2 : 0.25, 12);
    gw.complete(r, e, { outputTokens: 64, ttft: 0.1, e2e: 1 });
    expect(e.counters.pendingLoad).toBe(0);
    expect(gw.pendingLoad!.predictor.historySize(1000)).toBe(1);
  });

  it('re-samples the output prediction on every use by default; sampleOnce fixes it per request', () => {
    const ctx = makeCtx(11);
    const draws = (sampleOnce: boolean) => {
      const p = createPolicy('slo', { profiles: profiles(), sampleOnce });
      for (let i = 0; i < 50; i++) p.pendingLoad!.observe(100, i % 2 ? 4 : 64, 0);
      const r = request(1);
      return new Set(Array.from({ length: 40 }, () => p.pendingLoad!.predictOutput(r, ctx)));
    };
    expect(draws(false)).toEqual(new Set([4, 64]));
    expect(draws(true).size).toBe(1);
  });

  it('bypasses routing and the queue when exactly one endpoint is ready', () => {
    const eps = [endpoint(0, { gpuType: 'H100' })];
    const h = harness('slo', eps, { profiles: unitProfiles() });
    for (const id of [1, 2, 3]) h.gw.submit(request(id));
    expect(h.sent.map((s) => s.id)).toEqual([1, 2, 3]);
    expect(eps[0].counters.pendingLoad).toBe(3);
  });
});
