import { describe, expect, it } from 'vitest';
import { blankOutcome, MetricsCollector, type RequestOutcome } from '../../src/metrics/index.js';

const INSTANCES = [{ id: 'i0', gpuType: 'G', role: 'unified', busyTime: 0, preemptions: 0, promptTokensComputed: 0, tokensGenerated: 0 }];

function completed(classIndex: number, className: string, arrival: number, firstToken: number, finished: number, outputTokens: number, gapLog: number, gapCount: number): RequestOutcome {
  return {
    ...blankOutcome(),
    classIndex,
    className,
    promptTokens: 10,
    outputTokens,
    arrival,
    dispatched: arrival,
    instanceIndex: 0,
    instanceId: 'i0',
    enqueued: arrival,
    firstScheduled: arrival,
    firstToken,
    finished,
    gapLog,
    gapCount,
  };
}

describe('per-class ITL', () => {
  // One rank. A (class a) has its first token at 0 and decodes in steps of 10, 20, 30 ms (out 4).
  // B (class b) joins after the second step: first token at 0.03, decodes in the 30 ms step and
  // a 50 ms one (out 3). Every decode step also feeds the run's pool, once per decoding sequence.
  function run(withPreempted: boolean) {
    const c = new MetricsCollector(['a', 'b'], { targets: {}, perClass: {}, percentile: 99 });
    const log = c.classGaps.newLog();
    const step = (d: number, decoding: number) => {
      c.itl.add(d, decoding);
      c.classGaps.step(log, d);
    };
    step(0.01, 1);
    step(0.02, 1);
    step(0.03, 2);
    c.record(completed(0, 'a', 0, 0, 0.06, 4, log, 3));
    step(0.05, 1);
    c.record(completed(1, 'b', 0.02, 0.03, 0.11, 3, log, 2));
    // C (class b) was preempted: its 2 gaps (100 ms in all) are not in any range.
    if (withPreempted) c.record(completed(1, 'b', 0.1, 0.2, 0.3, 3, log, 0));
    return c.summarize(INSTANCES);
  }

  it("pools each class's own gaps: a [10, 20, 30] ms, b [30, 50] ms; the run's pool has all five", () => {
    const s = run(false);
    const a = s.classes.a.itl_ms!;
    const b = s.classes.b.itl_ms!;
    expect(a.mean).toBeCloseTo(20, 9);
    expect(a.median).toBeCloseTo(20, 9);
    expect(a.std).toBeCloseTo(Math.sqrt(200 / 3), 9);
    expect(a.p99).toBeCloseTo(20 + 0.98 * 10, 9); // numpy: rank 1.98 of [10, 20, 30]
    expect(b.mean).toBeCloseTo(40, 9);
    expect(b.p99).toBeCloseTo(30 + 0.99 * 20, 9);
    expect(s.metrics.itl_ms.mean).toBeCloseTo((10 + 20 + 30 + 30 + 50) / 5, 9);
  });

  it("a preempted request's gaps join its class at the mean of what no step range covers", () => {
    const b = run(true).classes.b.itl_ms!;
    // b: [30, 50] from the steps, C's 2 gaps at 100 / 2 = 50 ms: [30, 50, 50, 50].
    expect(b.mean).toBeCloseTo(45, 9);
    expect(b.median).toBeCloseTo(50, 9);
  });

  it('one class: the class ITL is the run ITL', () => {
    const c = new MetricsCollector(['a'], { targets: {}, perClass: {}, percentile: 99 });
    c.itl.add(0.01, 2);
    c.itl.add(0.03, 1);
    c.record(completed(0, 'a', 0, 0, 0.04, 3, 0, 2));
    c.record(completed(0, 'a', 0, 0.01, 0.02, 2, 0, 1));
    const s = c.summarize(INSTANCES);
    expect(s.classes.a.itl_ms).toEqual(s.metrics.itl_ms);
  });
});

describe('per-class ITL in a simulated run', () => {
  it.each([['vllm'], ['sglang']])('%s, DP ranks, no preemption: the classes\' step ranges add up to the run\'s pool, gap for gap', async (engine) => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { loadExperiment, preparePoint } = await import('../../src/experiment/index.js');
    const file = join(mkdtempSync(join(tmpdir(), 'routesim-class-itl-')), 'exp.yaml');
    writeFileSync(
      file,
      [
        'name: class-itl',
        'seed: 2',
        'model: Llama-3.1-8B',
        `fleet: [{gpu: H100-SXM, count: 2, engine: {kind: ${engine}}}, {gpu: A100-80GB, count: 1, dp: 2, engine: {kind: ${engine}}}]`,
        'workload: {duration: 10, sources: [{class: chat, dataset: sharegpt, rate: 6}, {class: sql, dataset: bird, rate: 4}]}',
        'router: {policy: least-request}',
      ].join('\n'),
    );
    const exp = loadExperiment(file);
    const p = await preparePoint(exp, exp.points[0]);
    p.cluster.run(p.stream);
    const s = p.collector.summarize(p.cluster.instanceInfos());
    expect(s.metrics.preemptions).toBe(0);
    const g = p.collector.classGaps;
    expect(g.counted[0]).toBeGreaterThan(0);
    expect(g.counted[1]).toBeGreaterThan(0);
    expect(g.counted[0] + g.counted[1]).toBe(p.collector.itl.count);
    expect(g.countedSum(0) + g.countedSum(1)).toBeCloseTo(p.collector.itl.sum, 9);
    const n = (c: string) => s.classes[c].itl_ms!;
    const pooledMean = (n('chat').mean * g.counted[0] + n('sql').mean * g.counted[1]) / (g.counted[0] + g.counted[1]);
    expect(pooledMean).toBeCloseTo(s.metrics.itl_ms.mean, 9);
  });
});
