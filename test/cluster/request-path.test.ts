import { describe, expect, it } from 'vitest';
import { Cluster, SIGNALS, type FrontendLatency, type RefreshIntervals } from '../../src/cluster/index.js';
import { randomStream } from '../../src/engine/index.js';
import { MetricsCollector } from '../../src/metrics/index.js';
import { createPolicy } from '../../src/routing/index.js';
import { VLLM_DEFAULTS, type EngineConfig } from '../../src/serving/index.js';
import { openWorkload, parseWorkloadConfig, type RequestSpec, type RequestStream } from '../../src/workload/index.js';

/** Every step takes 10 ms, whatever it holds: times below are counted in steps. */
const STEP = 0.01;

interface End {
  id: number;
  arrival: number;
  ttft: number;
  e2e: number;
  cached: number;
}

function run(stream: RequestStream, opts: { config?: Partial<EngineConfig>; frontend?: FrontendLatency } = {}) {
  const ends: End[] = [];
  const collector = new MetricsCollector(['a'], { targets: {}, perClass: {}, percentile: 99 });
  const cluster = new Cluster({
    instances: [
      {
        id: 'i0',
        gpuType: 'G',
        role: 'unified',
        timing: { name: 'constant', stepTime: () => STEP },
        kvCapacityTokens: 100_000,
        maxModelLen: 100_000,
        config: { ...VLLM_DEFAULTS, enablePrefixCaching: false, maxNumSeqs: 8, maxNumBatchedTokens: 512, ...opts.config },
        frontend: opts.frontend,
      },
    ],
    router: { kind: 'unified', policy: createPolicy('round-robin', {}) },
    mode: 'push',
    refresh: Object.fromEntries(SIGNALS.map((s) => [s, 0.05])) as RefreshIntervals,
    random: randomStream(1, 'router'),
    collector,
    classes: ['a'],
    warn: () => {},
    onOutcome(o) {
      if (o.rejection) throw new Error(`request ${o.id} rejected`);
      const r = (x: number) => +x.toFixed(9);
      ends.push({
        id: o.id,
        arrival: r(o.arrival),
        ttft: r(o.firstToken - o.arrival),
        e2e: r(o.finished - o.arrival),
        cached: o.cachedTokens,
      });
    },
  });
  cluster.run(stream);
  return ends.sort((a, b) => a.id - b.id);
}

const workload = (raw: unknown) => openWorkload(parseWorkloadConfig(raw), { seed: 1, baseDir: '.' });

function requests(list: [arrival: number, prompt: number, output: number][]): RequestStream {
  const reqs: RequestSpec[] = list.map(([arrival, prompt, output], id) => ({
    id,
    arrival,
    promptTokens: prompt,
    outputTokens: output,
    workloadClass: 'a',
    prefixHashes: [],
    hashBlockTokens: 16,
    sessionId: undefined,
  }));
  let i = 0;
  return { next: () => reqs[i++] };
}

describe('the request path a client measures', () => {
  it('requests arriving at the same instant share the first step', () => {
    // Both prefill in step 1 (0-10 ms): first tokens at 10 ms, then two decodes: done at 30 ms.
    const ends = run(requests([[0, 16, 3], [0, 16, 3]]));
    expect(ends.map((e) => [e.ttft, e.e2e])).toEqual([
      [0.01, 0.03],
      [0.01, 0.03],
    ]);
  });

  it('front-end latency delays the engine by the request path and every token by the response path', () => {
    // Sent at 0, queued at 1 ms, step 1-11 ms, decodes to 31 ms; the client sees tokens 2 ms later.
    const ends = run(requests([[0, 16, 3]]), { frontend: { requestS: 0.001, responseS: 0.002 } });
    expect(ends[0]).toMatchObject({ ttft: 0.013, e2e: 0.033 });
  });

  it('closed-loop clients send the next request when the client sees the last one end', () => {
    const stream = workload({ requests: 5, clients: 2, sources: [{ class: 'a', ratio: 1, fixed: { promptTokens: 16, outputTokens: 3 } }] });
    const ends = run(stream, { frontend: { requestS: 0.001, responseS: 0.002 } });
    // Two at 0; each sees its end at 33 ms and sends again; the fifth goes when the third ends (66 ms).
    expect(ends.map((e) => e.arrival)).toEqual([0, 0, 0.033, 0.033, 0.066]);
    expect(ends.every((e) => e.ttft === 0.013 && e.e2e === 0.033)).toBe(true);
  });

  it('closed-loop clients with an arrival rate wait for whichever is later', () => {
    // Constant 100/s generates at 0, 10, 20, 30 ms; one client: each waits for the last to end (30 ms).
    const stream = workload({
      requests: 3,
      clients: 1,
      rate: 100,
      arrival: 'constant',
      sources: [{ class: 'a', ratio: 1, fixed: { promptTokens: 16, outputTokens: 3 } }],
    });
    expect(run(stream).map((e) => e.arrival)).toEqual([0, 0.03, 0.06]);
  });

  it('a request arriving mid-step runs in the next step, or the one after with async scheduling', () => {
    const list: [number, number, number][] = [
      [0, 16, 5],
      [0.005, 16, 2],
    ];
    // Step boundary: B (5 ms) joins step 2 (10-20 ms): first token at 20 ms, TTFT 15 ms.
    expect(run(requests(list)).map((e) => e.ttft)).toEqual([0.01, 0.015]);
    // Async: step 2 was fixed when step 1 started (0 ms), so B waits for step 3 (20-30 ms).
    expect(run(requests(list), { config: { asyncScheduling: true } }).map((e) => e.ttft)).toEqual([0.01, 0.025]);
    // An idle engine schedules at once, async or not.
    expect(run(requests([[0.005, 16, 2]]), { config: { asyncScheduling: true } })[0].ttft).toBe(0.01);
  });

  it('a cyclic prompt pool hits the prefix cache from its second cycle, also at another block size', () => {
    const pool = { prefixes: 1, questions: 2, prefixTokens: 40, questionTokens: 30, outputTokens: 2, shuffle: false, hashBlockTokens: 16 };
    const stream = () => workload({ requests: 4, rate: 1, arrival: 'constant', sources: [{ class: 'a', ratio: 1, pool }] });
    // 70 tokens: 4 blocks of 16. Prompt 1 shares prompt 0's two prefix blocks; the repeats hit all 4.
    expect(run(stream(), { config: { enablePrefixCaching: true } }).map((e) => e.cached)).toEqual([0, 32, 64, 64]);
    // Engine blocks of 32: hashes at 16 are re-expressed (block 0 = tokens 0-31, within the prefix).
    expect(run(stream(), { config: { enablePrefixCaching: true, blockSize: 32 } }).map((e) => e.cached)).toEqual([0, 32, 64, 64]);
  });
});
