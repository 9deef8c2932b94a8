import { describe, expect, it } from 'vitest';
import { createPolicy, type ScoringPolicy } from '../../src/routing/index.js';
import { sessionKeyHash } from '../../src/routing/policies/session-affinity.js';
import { TokenTracker } from '../../src/routing/policies/vtc-basic.js';
import { endpoint, histogram, makeCtx, request } from './helpers.js';

const score = (p: ScoringPolicy, eps: ReturnType<typeof endpoint>[], ctx = makeCtx(1)) => {
  const s = new Float64Array(eps.length);
  const ok = new Uint8Array(eps.length);
  p.scoreAll(request(1), eps, ctx, s, ok);
  return { s: [...s], ok: [...ok] };
};

describe('AIBrix least-* policies', () => {
  it('least-request: fewest gateway in-flight requests, uniform among ties', () => {
    const eps = [endpoint(0, { inflight: 2 }), endpoint(1, { inflight: 1 }), endpoint(2, { inflight: 1 })];
    const p = createPolicy('least-request');
    const ctx = makeCtx(3);
    const h = histogram(3000, () => p.select(request(1), eps, ctx));
    expect(h.get(0)).toBeUndefined();
    expect(Math.abs(h.get(1)! - 1500)).toBeLessThan(150);
  });

  it('least-kv-cache / least-gpu-cache: lowest scraped KV usage; random with a warning when none reports it', () => {
    const eps = [endpoint(0, { kvUsage: 0.7 }), endpoint(1, { kvUsage: 0.2 }), endpoint(2, { kvUsage: 0.4 })];
    const ctx = makeCtx(1);
    expect(createPolicy('least-kv-cache').select(request(1), eps, ctx)!.index).toBe(1);
    expect(createPolicy('least-gpu-cache').select(request(1), eps, ctx)!.index).toBe(1);
    // A pod lacking the metric is skipped, not scored 0.
    eps[1].metrics.kvUsage = Number.NaN;
    expect(createPolicy('least-kv-cache').select(request(1), eps, ctx)!.index).toBe(2);
    // Engines without vllm:cpu_cache_usage_perc (vLLM >= 0.9): every pod lacks it -> random, warned.
    const v1 = createPolicy('least-kv-cache', { cpuCacheMetric: false });
    const hv = histogram(900, () => v1.select(request(1), eps, ctx));
    expect(hv.size).toBe(3);
    expect(ctx.warnings[0]).toMatch(/least-kv-cache: no endpoint reports cpu_cache_usage_perc/);
    ctx.warnings.length = 0;
    for (const e of eps) e.metrics.kvUsage = Number.NaN;
    const p = createPolicy('least-gpu-cache');
    const h = histogram(900, () => p.select(request(1), eps, ctx));
    expect(h.size).toBe(3);
    expect(ctx.warnings).toEqual(['least-gpu-cache: no endpoint reports KV usage; picking at random, as AIBrix does']);
  });

  it('least-latency: prefill/avgPrompt x guessPrompt + decode/avgGen x guessGen; the queue histogram reads as 0, as in AIBrix (hand-computed)', () => {
    const eps = [
      endpoint(0, { avgQueueTimeS: 1.0, avgPrefillTimeS: 0.5, avgDecodeTimeS: 2, avgPromptTokensPerReq: 500, avgGenerationTokensPerReq: 200 }),
      endpoint(1, { avgQueueTimeS: 0.1, avgPrefillTimeS: 0.2, avgDecodeTimeS: 1, avgPromptTokensPerReq: 100, avgGenerationTokensPerReq: 100 }),
      endpoint(2, { avgPrefillTimeS: 0.1, avgDecodeTimeS: 0.1, avgPromptTokensPerReq: 300, avgGenerationTokensPerReq: 0 }),
    ];
    // guessPrompt = (500 + 100 + 300) / 3 = 300; guessGen = (200 + 100) / 2 = 150
    const p = createPolicy('least-latency') as ScoringPolicy;
    const { s, ok } = score(p, eps);
    expect(ok).toEqual([1, 1, 0]); // no queue-time metric on endpoint 2: unscored, as AIBrix on a missing metric
    expect(s[0]).toBeCloseTo(0.3 + 1.5, 12);
    expect(s[1]).toBeCloseTo(0.6 + 1.5, 12);
    // Counting the queue times (1.0 vs 0.1) would pick endpoint 1.
    expect(p.select(request(1), eps, makeCtx())!.index).toBe(0);
  });

  it('throughput: least 2 x avg prompt + avg generation tokens per request', () => {
    const eps = [
      endpoint(0, { avgPromptTokensPerReq: 100, avgGenerationTokensPerReq: 50 }),
      endpoint(1, { avgPromptTokensPerReq: 50, avgGenerationTokensPerReq: 100 }),
    ];
    expect(createPolicy('throughput').select(request(1), eps, makeCtx())!.index).toBe(1);
  });
});

describe('AIBrix power-of-two', () => {
  it('compares the two sampled counts, the first on a tie, counting per arrival hour with a 5-minute TTL', () => {
    const eps = [endpoint(0), endpoint(1), endpoint(2)];
    const p = createPolicy('power-of-two');
    const ctx = makeCtx(1, 10);
    p.onDispatch!(request(1, { arrival: 10 }), eps[2], ctx); // e2 count 1 in hour 0
    const pick = (script: number[], arrival = 10) => {
      ctx.script = script;
      return p.select(request(2, { arrival }), eps, ctx)!.index;
    };
    expect(pick([0.1, 0.9])).toBe(0); // (e0: 0) <= (e2: 1)
    expect(pick([0.9, 0.1])).toBe(0); // (e2: 1) > (e0: 0)
    expect(pick([0.1, 0.5])).toBe(0); // tie 0 vs 0: first sample
    expect(pick([0.9, 0.9, 0.9, 0.1])).toBe(0); // second draw repeats the first: redrawn
    expect(pick([0.9, 0.1], 3605)).toBe(2); // another hour: e2's key is empty, tie -> first
    ctx.t = 311; // 5 minutes after the INCR: the key expired
    expect(pick([0.9, 0.1])).toBe(2);
    p.onComplete!(request(1, { arrival: 10 }), eps[2], { outputTokens: 1, ttft: 0, e2e: 1 }, ctx);
    expect(pick([0.1, 0.9])).toBe(2); // DECR on a vanished key: -1 < 0
  });
});

describe('AIBrix session-affinity', () => {
  it('sticks a session to the endpoint that served it (x-session-id echoed)', () => {
    const eps = [endpoint(0), endpoint(1), endpoint(2)];
    const p = createPolicy('session-affinity');
    const ctx = makeCtx(2);
    const first = p.select(request(1, { sessionId: 's' }), eps, ctx)!;
    p.onDispatch!(request(1, { sessionId: 's' }), first, ctx);
    for (let i = 0; i < 20; i++) expect(p.select(request(2, { sessionId: 's' }), eps, ctx)).toBe(first);
    const others = eps.filter((e) => e !== first);
    expect(others).toContain(p.select(request(3, { sessionId: 's' }), others, ctx)); // pinned pod not a candidate
    const { s } = score(p as ScoringPolicy, eps);
    expect(s).toEqual([0, 0, 0]); // request(1) of the score helper has no session
  });

  it('session-key mode: rendezvous hashing with FNV-1a 64 of (key, 0, address)', () => {
    expect(sessionKeyHash('abc', 'L20-1')).toBe('794d90647ec10dc3');
    expect(sessionKeyHash('user-7', 'A100-0')).toBe('6890ece8416db965');
    const eps = [endpoint(0), endpoint(1), endpoint(2)];
    const p = createPolicy('session-affinity', { mode: 'session-key' });
    const ctx = makeCtx(2);
    expect(p.select(request(1, { sessionId: 'user-7' }), eps, ctx)!.id).toBe('A100-0');
    expect(p.select(request(1, { sessionId: 's2' }), eps, ctx)!.id).toBe('A100-2');
  });
});

describe('AIBrix vtc-basic', () => {
  it('scores |position - tokens/bucket| + min(running/100, 1) + U(0, 0.1) over the shuffled list', () => {
    const eps = [endpoint(0, { running: 0 }), endpoint(1, { running: 50 }), endpoint(2, { running: 200 })];
    const p = createPolicy('vtc-basic');
    const ctx = makeCtx(1, 0);
    // Shuffle draws (0.99, 0.99) keep the order; noise draws 0. u = 0: scores [0, 1.5, 3].
    ctx.script = [0.99, 0.99, 0, 0, 0];
    const r = request(1, { sessionId: 'u', promptTokens: 600 });
    expect(p.select(r, eps, ctx)!.index).toBe(0);
    p.onDispatch!(r, eps[0], ctx); // u += 600 + 2 x 900 = 2400
    for (const e of eps) e.metrics.running = 0;
    // bucket = max(1000, (2400 + 2400) / 2) = 2400, norm = 1: position 1 wins
    ctx.script = [0.99, 0.99, 0, 0, 0];
    expect(p.select(request(2, { sessionId: 'u' }), eps, ctx)!.index).toBe(1);
    // With the shuffle swapping positions 1 and 2, endpoint 2 sits at position 1.
    ctx.script = [0.5, 0.99, 0, 0, 0]; // i=2: j=1 swaps positions 1 and 2; i=1: j=1 keeps them
    expect(p.select(request(3, { sessionId: 'u' }), eps, ctx)!.index).toBe(2);
  });

  it('routes requests without a user at random and keeps a 5-minute window per user', () => {
    const t = new TokenTracker(300, 1000, 8000);
    t.update('a', 500, 0);
    t.update('b', 3000, 100);
    expect([t.min(), t.max()]).toEqual([500, 3000]);
    expect(t.count('a', 300)).toBe(500);
    expect(t.count('a', 301)).toBe(0); // pruned when read
    expect([t.min(), t.max()]).toEqual([3000, 3000]); // b is stale but not pruned until read
    expect(t.count('b', 500)).toBe(0);
    expect([t.min(), t.max()]).toEqual([1000, 8000]); // defaults
  });
});
