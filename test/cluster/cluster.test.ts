import { describe, expect, it } from 'vitest';
import { Cluster, SIGNALS, type RefreshIntervals } from '../../src/cluster/index.js';
import { randomStream } from '../../src/engine/index.js';
import { MetricsCollector, type RequestOutcome } from '../../src/metrics/index.js';
import { createPolicy, type RouterMode, type RoutingPolicy } from '../../src/routing/index.js';
import { VLLM_DEFAULTS, type EngineConfig } from '../../src/serving/index.js';
import type { RequestSpec } from '../../src/workload/index.js';
import { arrayStream, fakeTiming } from '../invariants/world.js';
import { instanceOf } from '../invariants/world.js';

const NO_CACHE: EngineConfig = { ...VLLM_DEFAULTS, enablePrefixCaching: false, maxNumSeqs: 8, maxNumBatchedTokens: 512 };

function request(id: number, arrival: number, promptTokens: number, outputTokens: number): RequestSpec {
  return { id, arrival, promptTokens, outputTokens, workloadClass: 'a', prefixHashes: [], hashBlockTokens: 16, sessionId: undefined };
}

interface Ended {
  id: number;
  instance?: string;
  outcome?: RequestOutcome;
  rejection?: string;
}

function world(opts: {
  n: number;
  policy: RoutingPolicy;
  mode?: RouterMode;
  refreshS?: number;
  config?: Partial<EngineConfig>;
  kvTokens?: number;
  maxModelLen?: number;
}) {
  const collector = new MetricsCollector(['a'], { targets: {}, perClass: {}, percentile: 99 });
  const ended: Ended[] = [];
  const cluster = new Cluster({
    instances: Array.from({ length: opts.n }, (_, i) => ({
      id: `i${i}`,
      gpuType: 'G',
      role: 'unified' as const,
      timing: fakeTiming(() => {}),
      kvCapacityTokens: opts.kvTokens ?? 100_000,
      maxModelLen: opts.maxModelLen ?? 100_000,
      config: { ...NO_CACHE, ...opts.config },
    })),
    router: { kind: 'unified', policy: opts.policy },
    mode: opts.mode ?? 'push',
    refresh: Object.fromEntries(SIGNALS.map((s) => [s, opts.refreshS ?? 0.05])) as RefreshIntervals,
    random: randomStream(1, 'router'),
    collector,
    classes: ['a'],
    warn: () => {},
    onOutcome: (o) =>
      ended.push({ id: o.id, instance: o.instanceIndex >= 0 ? o.instanceId : undefined, outcome: o.rejection ? undefined : { ...o }, rejection: o.rejection?.reason }),
  });
  const byId = (id: number) => ended.find((e) => e.id === id)!;
  return { cluster, collector, ended, byId };
}

describe('Cluster', () => {
  it('round-robin spreads requests over instances in turn', () => {
    const w = world({ n: 3, policy: createPolicy('round-robin', {}) });
    w.cluster.run(arrayStream(Array.from({ length: 7 }, (_, i) => request(i, i * 0.01, 20, 3))));
    expect([...w.ended].sort((a, b) => a.id - b.id).map((e) => e.instance)).toEqual(['i0', 'i1', 'i2', 'i0', 'i1', 'i2', 'i0']);
    expect(w.cluster.endpoints.map((e) => e.counters.dispatched)).toEqual([3, 2, 2]);
    expect(w.cluster.endpoints.map((e) => e.counters.inflight)).toEqual([0, 0, 0]);
  });

  it('times one request exactly: 1 ms + 0.01 ms per token per step', () => {
    const w = world({ n: 1, policy: createPolicy('round-robin', {}) });
    w.cluster.run(arrayStream([request(0, 0.5, 100, 4)]));
    const s = w.byId(0).outcome!;
    // Prefill 100 tokens: 2 ms; then 3 decode steps of 1.01 ms.
    expect(s.enqueued).toBe(0.5);
    expect(s.firstScheduled).toBe(0.5);
    expect(s.firstToken).toBeCloseTo(0.502, 12);
    expect(s.finished).toBeCloseTo(0.502 + 3 * 0.00101, 12);
    const m = w.collector.summarize([{ id: 'i0', gpuType: 'G', role: 'unified', busyTime: instanceOf(w.cluster.endpoints[0]).busyTime, preemptions: 0, promptTokensComputed: 0, tokensGenerated: 0 }]);
    expect(m.metrics.ttft_ms.mean).toBeCloseTo(2, 9);
    expect(m.metrics.tpot_ms.mean).toBeCloseTo(1.01, 9);
    expect(m.metrics.e2e_ms.mean).toBeCloseTo(5.03, 9);
    // The instance was busy for the whole request: utilization 1 over arrival -> completion.
    expect(m.instances[0].utilization).toBeCloseTo(1, 9);
  });

  it('push mode: an instance refuses a request it can never hold; the gateway counters settle', () => {
    const w = world({ n: 2, policy: createPolicy('round-robin', {}), maxModelLen: 1000 });
    w.cluster.run(arrayStream([request(0, 0, 10, 5), request(1, 0.001, 995, 10), request(2, 0.002, 10, 5)]));
    expect(w.byId(1).rejection).toBe('prompt + output = 1005 tokens exceeds max_model_len 1000');
    expect(w.byId(1).instance).toBe('i1');
    expect(w.byId(0).outcome).toBeDefined();
    expect(w.byId(2).instance).toBe('i0');
    expect(w.cluster.endpoints.map((e) => e.counters.inflight)).toEqual([0, 0]);
    // A refusal is a failure, not a completion: i1 completed nothing.
    expect(w.cluster.endpoints.map((e) => e.counters.completed)).toEqual([2, 0]);
    expect(w.collector.summarize(w.cluster.endpoints.map((e) => ({ id: e.id, gpuType: 'G', role: 'unified', busyTime: 0, preemptions: 0, promptTokensComputed: 0, tokensGenerated: 0 }))).rejections).toEqual({
      'prompt + output = 1005 tokens exceeds max_model_len 1000': 1,
    });
  });

  it('a refusal at dispatch reaches the policy as a failure with no output', () => {
    const infos: { id: number; failed?: boolean; outputTokens: number }[] = [];
    const rr = createPolicy('round-robin', {});
    const policy: RoutingPolicy = { ...rr, select: rr.select.bind(rr), onComplete: (req, _e, info) => void infos.push({ id: req.id, failed: info.failed, outputTokens: info.outputTokens }) };
    const w = world({ n: 2, policy, maxModelLen: 1000 });
    w.cluster.run(arrayStream([request(0, 0, 10, 5), request(1, 0.001, 995, 10)]));
    expect(infos.find((i) => i.id === 1)).toEqual({ id: 1, failed: true, outputTokens: 0 });
    expect(infos.find((i) => i.id === 0)?.failed).toBe(false);
  });

  it('pull mode: requests wait in the router queue until an instance has a free slot', () => {
    const w = world({ n: 2, policy: createPolicy('round-robin', {}), mode: 'pull', config: { maxNumSeqs: 1 } });
    w.cluster.run(arrayStream([0, 1, 2, 3].map((i) => request(i, 0, 10, 2))));
    // Each request: prefill 10 tokens (1.1 ms), one decode step (1.01 ms): done at 2.11 ms.
    const [r0, r1, r2, r3] = [0, 1, 2, 3].map((i) => w.byId(i));
    expect([r0.instance, r1.instance]).toEqual(['i0', 'i1']);
    expect(r0.outcome!.enqueued).toBe(0);
    expect(r1.outcome!.enqueued).toBe(0);
    expect(r0.outcome!.finished).toBeCloseTo(0.00211, 12);
    // r2 and r3 leave the router queue when r0 and r1 complete, in that order.
    expect(r2.instance).toBe('i0');
    expect(r3.instance).toBe('i1');
    expect(r2.outcome!.enqueued).toBeCloseTo(0.00211, 12);
    expect(r3.outcome!.enqueued).toBeCloseTo(0.00211, 12);
    expect(r2.outcome!.finished).toBeCloseTo(0.00422, 12);
    const s = w.collector.summarize(w.cluster.endpoints.map((e) => ({ id: e.id, gpuType: 'G', role: 'unified', busyTime: 0, preemptions: 0, promptTokensComputed: 0, tokensGenerated: 0 })));
    // Router queue: 0, 0, 2.11, 2.11 ms.
    expect(s.metrics.router_queue_ms.mean).toBeCloseTo(2.11 / 2, 9);
    expect(s.metrics.instance_queue_ms.mean).toBeCloseTo(0, 12);
  });

  it('pull mode: a request no instance can ever hold is rejected at once and the rest run', () => {
    const w = world({ n: 2, policy: createPolicy('round-robin', {}), mode: 'pull', kvTokens: 256, refreshS: 0.05 });
    w.cluster.run(arrayStream([request(0, 0, 300, 5), request(1, 0.001, 10, 5)]));
    expect(w.byId(0).rejection).toMatch(/exceeds the KV capacity of 256 tokens/);
    expect(w.byId(1).outcome).toBeDefined();
    expect(w.cluster.sim.pending).toBe(0);
  });

  it('engine metrics reach the router only at refresh ticks (staleness)', () => {
    const seen: { t: number; running: number; updatedAt: number }[] = [];
    const probe = (refreshS: number) => {
      seen.length = 0;
      const policy: RoutingPolicy = {
        name: 'probe',
        select(_req, endpoints, ctx) {
          seen.push({ t: ctx.now(), running: endpoints[0].metrics.running, updatedAt: endpoints[0].metrics.updatedAt });
          return endpoints[0];
        },
      };
      // Long generations (~1 s each), so every request is still running at the next arrival.
      const w = world({ n: 1, policy, refreshS });
      w.cluster.run(arrayStream([request(0, 0, 100, 1000), request(1, 0.1, 100, 1000), request(2, 0.3, 100, 1000)]));
      return [...seen];
    };
    // Refreshed every 0.25 s: at 0.1 the router still sees the snapshot taken at 0 (nothing running).
    expect(probe(0.25)).toEqual([
      { t: 0, running: 0, updatedAt: 0 },
      { t: 0.1, running: 0, updatedAt: 0 },
      { t: 0.3, running: 2, updatedAt: 0.25 },
    ]);
    // Interval 0: always the live value.
    expect(probe(0)).toEqual([
      { t: 0, running: 0, updatedAt: 0 },
      { t: 0.1, running: 1, updatedAt: 0.1 },
      { t: 0.3, running: 2, updatedAt: 0.3 },
    ]);
  });
});
