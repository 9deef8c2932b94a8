import { describe, expect, it } from 'vitest';
import { Gateway, ProfileSet, RoutingConfigError, createPolicy, type RequestView } from '../../src/routing/index.js';
import { endpoint, makeCtx, request } from './helpers.js';

/**
 * Ticks: output [4, 64], input [128, 1024]; every request predicts output 1 (no history) -> tick 4.
 * H100 e2e 0.5 s / 1.0 s and A10 1.0 s / 2.0 s at inputs 128 / 1024; each request consumes 0.2
 * of a pod on either type, except 0.25 on A10 at 1024. Target E2E 3 s.
 */
function profiles(): ProfileSet {
  const set = new ProfileSet();
  const idx = [[4, 64], [128, 1024]];
  const slos = { percentile: 99, e2e: 3 };
  set.add('m', 'H100', { gpu: 'H100', tputs: [[10, 5], [4, 2]], indexes: idx, created: 1, e2e: [[0.5, 1.0], [2.0, 4.0]], slos });
  set.add('m', 'A10', { gpu: 'A10', tputs: [[5, 2], [2, 0]], indexes: idx, created: 1, e2e: [[1.0, 2.0], [4.0, 6.0]], slos });
  return set;
}

/** A gateway over one H100 and one A10, both nearly full, with a host clock and timers. */
function world(timeoutS: number | undefined) {
  const ctx = makeCtx(5);
  const timers: { at: number; fn: (r: RequestView) => void; req: RequestView }[] = [];
  const h = endpoint(0, { gpuType: 'H100' });
  const a = endpoint(1, { gpuType: 'A10' });
  const sent: string[] = [];
  const rejected: string[] = [];
  const gw = new Gateway({
    policy: createPolicy('slo', { profiles: profiles(), model: 'm' }),
    mode: 'pull',
    endpoints: [h, a],
    ctx,
    timeoutS,
    timer: (at, fn, req) => timers.push({ at, fn, req }),
    dispatch: (r, e) => sent.push(`${r.id}->${e.id}@${ctx.t}`),
    reject: (r, _reason, kind) => rejected.push(`${r.id}:${kind}@${ctx.t}`),
  });
  const advance = (t: number) => {
    for (;;) {
      timers.sort((x, y) => x.at - y.at);
      if (timers.length === 0 || timers[0].at > t) break;
      const next = timers.shift()!;
      ctx.t = next.at;
      next.fn(next.req);
    }
    ctx.t = t;
  };
  h.counters.pendingLoad = 0.9;
  a.counters.pendingLoad = 0.9;
  return { ctx, gw, h, a, sent, rejected, advance };
}

describe('gateway timeout with AIBrix head-of-line semantics', () => {
  it('fails a queued request at the timeout but keeps it as its sub-queue head until the queue decides on it', () => {
    const w = world(5);
    w.gw.submit(request(1, { promptTokens: 100, arrival: 0 })); // fits nowhere: queued
    w.advance(5);
    expect(w.rejected).toEqual(['1:timed-out@5']);

    // t=6: A10 has room, and request 2 of the same bucket would be allowed there (rank
    // 0 + 1.0 - 3 < 0). But it sits behind the timed-out head, whose rank on A10 (6 + 1.0 - 3)
    // is > 0, so the head may not spill there; the head still blocks its sub-queue.
    w.advance(6);
    w.a.counters.pendingLoad = 0;
    w.gw.submit(request(2, { promptTokens: 100, arrival: 6 }));
    expect(w.sent).toEqual([]);
    expect(w.gw.queued).toBe(2);

    // t=7: H100 has room. The timed-out head is "routed" first (most urgent) and leaves without
    // taking any capacity; then request 2, then the new request 3 (input 1024, its own sub-queue).
    w.advance(7);
    w.h.counters.pendingLoad = 0.5;
    w.gw.submit(request(3, { promptTokens: 1000, arrival: 7 }));
    expect(w.sent).toEqual(['2->H100-0@7', '3->H100-0@7']);
    expect(w.h.counters.pendingLoad).toBeCloseTo(0.9, 12); // 0.5 + 0.2 + 0.2: nothing for request 1
    expect(w.h.counters.dispatched).toBe(2);
    expect(w.gw.queued).toBe(0);
    w.advance(100); // request 2's and 3's timers find them dispatched
    expect(w.rejected).toEqual(['1:timed-out@5']);
  });

  it('without a timeout the same request waits and is served', () => {
    const w = world(undefined);
    w.gw.submit(request(1, { promptTokens: 100, arrival: 0 }));
    w.advance(7);
    w.h.counters.pendingLoad = 0.5;
    w.gw.submit(request(3, { promptTokens: 1000, arrival: 7 }));
    expect(w.sent).toEqual(['1->H100-0@7', '3->H100-0@7']);
    expect(w.rejected).toEqual([]);
  });

  it('a timed-out request left in the queue at the end is not rejected twice', () => {
    const w = world(5);
    w.gw.submit(request(1, { promptTokens: 100, arrival: 0 }));
    w.gw.submit(request(2, { promptTokens: 100, arrival: 0 }));
    w.advance(5);
    expect(w.gw.abandonQueued('run ended')).toBe(0);
    expect(w.rejected).toEqual(['1:timed-out@5', '2:timed-out@5']);
  });

  it('in the gateway pull queue a timed-out request leaves and the next one goes', () => {
    const ctx = makeCtx(1);
    const timers: { at: number; fn: (r: RequestView) => void; req: RequestView }[] = [];
    const e = endpoint(0, { freeSlots: 1, freeKvTokens: 100 });
    const sent: number[] = [];
    const rejected: string[] = [];
    const gw = new Gateway({
      policy: createPolicy('least-request'),
      mode: 'pull',
      endpoints: [e, endpoint(1, { freeSlots: 0 })],
      ctx,
      timeoutS: 2,
      timer: (at, fn, req) => timers.push({ at, fn, req }),
      dispatch: (r) => sent.push(r.id),
      reject: (r, _m, kind) => rejected.push(`${r.id}:${kind}`),
    });
    gw.submit(request(1, { promptTokens: 500 })); // KV headroom 100: never fits
    gw.submit(request(2, { promptTokens: 50 })); // fits, but strict FIFO keeps it behind 1
    expect(sent).toEqual([]);
    ctx.t = 2;
    timers[0].fn(timers[0].req);
    expect(rejected).toEqual(['1:timed-out']);
    expect(sent).toEqual([2]);
  });

  it('rejects a timeout that is not > 0', () => {
    const mk = (timeoutS: number) =>
      new Gateway({
        policy: createPolicy('slo'),
        mode: 'pull',
        endpoints: [endpoint(0)],
        ctx: makeCtx(),
        timeoutS,
        timer: () => {},
        dispatch: () => {},
        reject: () => {},
      });
    expect(() => mk(0)).toThrow(RoutingConfigError);
    expect(() => mk(-1)).toThrow(/> 0/);
  });
});

describe('profile lookup by model and deployment (case-sensitive)', () => {
  it('a model name differing only in case misses: AIBrix warning, FIFO order, least-request', () => {
    const set = new ProfileSet();
    const idx = [[4], [128]];
    set.add('DeepSeek-Coder-6.7B', 'A10', { gpu: 'A10', tputs: [[1]], indexes: idx, e2e: [[1]], slos: { e2e: 3 } });
    const ctx = makeCtx(2, 10);
    const policy = createPolicy('slo', { profiles: set, model: 'deepseek-coder-6.7b' });
    const eps = [endpoint(0, { gpuType: 'A10', inflight: 3 }), endpoint(1, { gpuType: 'A10', inflight: 1 })];
    const q = policy.queue!;
    // Different sub-queues; FIFO takes the earliest arrival first even though the later one is
    // the one the profile would rank first. Least-request picks the endpoint with 1 in flight.
    q.enqueue(request(1, { promptTokens: 4000, arrival: 2 }), ctx);
    q.enqueue(request(2, { promptTokens: 100, arrival: 1 }), ctx);
    const d1 = q.next(eps, ctx)!;
    expect(d1.kind === 'dispatch' && [d1.req.id, d1.endpoint.id]).toEqual([2, 'A10-1']);
    expect(q.next(eps, ctx)!.req.id).toBe(1);
    expect(ctx.warnings).toEqual([
      'slo: SLOQueue found no profile available for model deepseek-coder-6.7b, fallback to FIFO queue ' +
        "(no profile under exactly this model name for the endpoints' deployments A10; routed by least-request)",
    ]);
    // The exact name hits: no warning, the profile decides (capacity 1 per pod: U + 1 <= 1).
    const hit = createPolicy('slo', { profiles: set, model: 'DeepSeek-Coder-6.7B' });
    const ctx2 = makeCtx(2, 10);
    hit.queue!.enqueue(request(3, { promptTokens: 100, arrival: 9 }), ctx2);
    const d = hit.queue!.next(eps, ctx2)!;
    expect(d.kind).toBe('dispatch');
    expect(ctx2.warnings).toEqual([]);
  });
});
