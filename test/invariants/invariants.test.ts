import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SGLANG_DEFAULTS, SGLANG_SCHEDULE_POLICIES, VLLM_DEFAULTS } from '../../src/serving/index.js';
import { runWorld, type WorldInstance, type WorldRequest, type WorldResult, type WorldSpec } from './world.js';
import { instanceOf } from './world.js';

const HASH_BLOCK = 16;

const instanceArb: fc.Arbitrary<WorldInstance> = fc
  .record({
    blockSize: fc.constantFrom(1, 2, 4, 16),
    kvBlocks: fc.integer({ min: 1, max: 40 }),
    extraTokens: fc.integer({ min: 0, max: 15 }),
    maxNumSeqs: fc.integer({ min: 1, max: 6 }),
    budget: fc.integer({ min: 1, max: 160 }),
    enableChunkedPrefill: fc.boolean(),
    enablePrefixCaching: fc.boolean(),
    maxModelLen: fc.integer({ min: 2, max: 400 }),
  })
  .map((x) => ({
    // Capacity need not be a whole number of blocks; the instance rounds down.
    kvCapacityTokens: x.kvBlocks * x.blockSize + (x.extraTokens % x.blockSize),
    maxModelLen: x.maxModelLen,
    config: {
      ...VLLM_DEFAULTS,
      blockSize: x.blockSize,
      maxNumSeqs: x.maxNumSeqs,
      maxNumBatchedTokens: Math.max(x.maxNumSeqs, x.budget),
      enableChunkedPrefill: x.enableChunkedPrefill,
      enablePrefixCaching: x.enablePrefixCaching,
    },
  }));

/** An SGLang instance: page sizes, budgets, policies and a conservativeness low enough to retract. */
const sglangArb: fc.Arbitrary<WorldInstance> = fc
  .record({
    page: fc.constantFrom(1, 2, 4, 16),
    kvPages: fc.integer({ min: 4, max: 80 }),
    maxRunning: fc.integer({ min: 1, max: 6 }),
    chunkPages: fc.option(fc.integer({ min: 1, max: 20 }), { nil: null }),
    maxPrefillTokens: fc.integer({ min: 1, max: 200 }),
    schedulePolicy: fc.constantFrom(...SGLANG_SCHEDULE_POLICIES),
    scheduleConservativeness: fc.constantFrom(0.02, 0.3, 1),
    enableMixedChunk: fc.boolean(),
    disableRadixCache: fc.boolean(),
    maxModelLen: fc.integer({ min: 2, max: 400 }),
  })
  .map((x) => ({
    kvCapacityTokens: x.kvPages * x.page,
    maxModelLen: x.maxModelLen,
    config: {
      ...VLLM_DEFAULTS,
      kind: 'sglang' as const,
      blockSize: x.page,
      maxNumSeqs: x.maxRunning,
      sglang: {
        ...SGLANG_DEFAULTS,
        maxRunningRequests: x.maxRunning,
        chunkedPrefillSize: x.chunkPages === null ? null : x.chunkPages * x.page,
        maxPrefillTokens: x.maxPrefillTokens,
        schedulePolicy: x.schedulePolicy,
        scheduleConservativeness: x.scheduleConservativeness,
        enableMixedChunk: x.enableMixedChunk,
        disableRadixCache: x.disableRadixCache,
      },
    },
  }));

/** Prefix hashes: none, a shared group prefix, or a group prefix followed by this request's own blocks. */
const requestArb = (id: number): fc.Arbitrary<WorldRequest & { gap: number }> =>
  fc
    .record({
      gap: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.02, noNaN: true })),
      promptTokens: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 120 })),
      outputTokens: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 40 })),
      cls: fc.constantFrom('a', 'b'),
      group: fc.integer({ min: -1, max: 2 }),
      sharedBlocks: fc.integer({ min: 0, max: 8 }),
    })
    .map((x) => {
      const full = Math.floor(x.promptTokens / HASH_BLOCK);
      const hashes: number[] = [];
      if (x.group >= 0) {
        for (let j = 0; j < full; j++) hashes.push(j < x.sharedBlocks ? x.group * 100 + j : 1_000_000 + id * 1000 + j);
      }
      return {
        gap: x.gap,
        promptTokens: x.promptTokens,
        outputTokens: x.outputTokens,
        workloadClass: x.cls,
        prefixHashes: hashes,
        hashBlockTokens: HASH_BLOCK,
        arrival: 0,
      };
    });

const worldArb: fc.Arbitrary<WorldSpec> = fc
  .record({
    instances: fc.array(fc.oneof(instanceArb, sglangArb), { minLength: 1, maxLength: 3 }),
    n: fc.integer({ min: 1, max: 30 }),
    policy: fc.constantFrom('random', 'round-robin', 'least-request'),
    mode: fc.constantFrom('push' as const, 'pull' as const),
    refreshS: fc.constantFrom(0, 0.005, 0.05),
    seed: fc.integer({ min: 0, max: 1000 }),
  })
  .chain((w) =>
    fc.tuple(...Array.from({ length: w.n }, (_, i) => requestArb(i))).map((reqs) => {
      let t = 0;
      const requests = reqs.map(({ gap, ...r }) => ({ ...r, arrival: (t += gap) }));
      return { instances: w.instances, requests, policy: w.policy, mode: w.mode, refreshS: w.refreshS, seed: w.seed };
    }),
  );

/** Why an instance must refuse a request outright (mirrors the documented admission rules). */
function mustRefuse(inst: WorldInstance, r: WorldRequest): boolean {
  const total = r.promptTokens + r.outputTokens;
  const blocks = Math.floor(inst.kvCapacityTokens / inst.config.blockSize);
  if (inst.config.kind === 'sglang') {
    const page = inst.config.blockSize;
    // PrefillAdder needs prompt + output + one page below the pool.
    return total > inst.maxModelLen || total + page >= blocks * page;
  }
  return (
    total > inst.maxModelLen ||
    Math.ceil(total / inst.config.blockSize) > blocks ||
    (!inst.config.enableChunkedPrefill && total > inst.config.maxNumBatchedTokens)
  );
}

function checkWorld(spec: WorldSpec, res: WorldResult): void {
  const n = spec.requests.length;
  expect(res.violations).toEqual([]);

  // Every request ends exactly once, completed or rejected with a reason.
  const seen = new Map<number, number>();
  for (const e of res.endings) seen.set(e.id, (seen.get(e.id) ?? 0) + 1);
  expect(seen.size).toBe(n);
  for (const [, count] of seen) expect(count).toBe(1);
  const completed = res.endings.filter((e) => e.kind === 'completed');
  const rejected = res.endings.filter((e) => e.kind === 'rejected');
  expect(res.summary.completed).toBe(completed.length);
  expect(res.summary.rejected).toBe(rejected.length);
  expect(res.summary.completed + res.summary.rejected).toBe(n);
  expect(Object.values(res.summary.rejections).reduce((a, b) => a + b, 0)).toBe(rejected.length);

  // The outcome records say the same: one per request, a rejection exactly when no completion,
  // and the instants of a completion in order.
  expect(res.outcomes.map((o) => o.id).sort((a, b) => a - b)).toEqual(res.requests.map((r) => r.id));
  const endingOf = new Map(res.endings.map((e) => [e.id, e]));
  for (const o of res.outcomes) {
    const e = endingOf.get(o.id)!;
    expect(o.rejection === null).toBe(e.kind === 'completed');
    if (o.rejection) {
      expect(o.rejection.reason).toBe(e.reason);
      expect(o.firstToken).toBe(-1);
      continue;
    }
    expect(o.instanceId).toBe(e.instance);
    expect(o.dispatched).toBeGreaterThanOrEqual(o.arrival);
    expect(o.enqueued).toBeGreaterThanOrEqual(o.dispatched);
    expect(o.firstScheduled).toBeGreaterThanOrEqual(o.enqueued);
    expect(o.firstToken).toBeGreaterThan(o.firstScheduled);
    expect(o.finished).toBeGreaterThanOrEqual(o.firstToken);
  }

  const byId = new Map(res.endings.map((e) => [e.id, e]));
  const instIndex = (id: string) => Number(id.slice(1));
  for (const r of res.requests) {
    const e = byId.get(r.id)!;
    if (e.kind === 'rejected') {
      expect(e.reason).toMatch(/max_model_len|context_length|KV capacity|max_num_batched_tokens/);
      if (e.instance !== undefined) {
        // Rejected only by an instance that could never serve it.
        expect(mustRefuse(spec.instances[instIndex(e.instance)], r)).toBe(true);
      } else {
        // Rejected at the router (pull mode): no instance could ever serve it.
        expect(spec.mode).toBe('pull');
        expect(spec.instances.every((i) => mustRefuse(i, r))).toBe(true);
      }
    } else {
      const s = e.outcome!;
      expect(mustRefuse(spec.instances[instIndex(e.instance!)], r)).toBe(false);
      expect(s.enqueued).toBeGreaterThanOrEqual(r.arrival);
      expect(s.firstScheduled).toBeGreaterThanOrEqual(s.enqueued);
      expect(s.firstToken).toBeGreaterThan(s.firstScheduled);
      expect(s.finished).toBeGreaterThanOrEqual(s.firstToken);
      if (r.outputTokens > 1) expect(s.finished).toBeGreaterThan(s.firstToken);
      expect(s.cachedTokens).toBeLessThan(r.promptTokens);
    }
  }
  // A request every instance could serve is never rejected.
  for (const r of res.requests) {
    if (spec.instances.every((i) => !mustRefuse(i, r))) expect(byId.get(r.id)!.kind).toBe('completed');
  }

  // After the run: nothing queued or running, all KV released, no events left.
  for (const ep of res.cluster.endpoints) {
    expect(instanceOf(ep).running).toBe(0);
    expect(instanceOf(ep).queued).toBe(0);
    expect(instanceOf(ep).queuedPromptTokens).toBe(0);
    expect(instanceOf(ep).kv.used).toBe(0);
    expect(ep.counters.inflight).toBe(0);
  }
  expect(res.cluster.sim.pending).toBe(0);

  // Tokens generated == the outputs of completed requests, and each instance served what it completed.
  const generated = res.cluster.endpoints.reduce((a, ep) => a + instanceOf(ep).tokensGenerated, 0);
  const outputs = completed.reduce((a, e) => a + res.requests[e.id].outputTokens, 0);
  expect(generated).toBe(outputs);
  res.cluster.endpoints.forEach((ep, i) => {
    const mine = completed.filter((e) => e.instance === ep.id);
    expect(instanceOf(ep).completed).toBe(mine.length);
    expect(res.summary.instances[i].served).toBe(mine.length);
    expect(instanceOf(ep).tokensGenerated).toBe(mine.reduce((a, e) => a + res.requests[e.id].outputTokens, 0));
    // Preemption by recompute: an instance computes at least every prompt token it served once,
    // less what the prefix cache supplied.
    const prompts = mine.reduce((a, e) => a + res.requests[e.id].promptTokens - e.outcome!.cachedTokens, 0);
    expect(instanceOf(ep).promptTokensComputed).toBeGreaterThanOrEqual(prompts);
  });
}

describe('simulation invariants over random small worlds', () => {
  it('hold for random workloads, engine settings, fleets and policies', () => {
    let preempting = 0;
    let rejecting = 0;
    let caching = 0;
    fc.assert(
      fc.property(worldArb, (spec) => {
        const res = runWorld(spec);
        checkWorld(spec, res);
        if (res.summary.metrics.preemptions > 0) preempting++;
        if (res.summary.rejected > 0) rejecting++;
        if (res.summary.metrics.prefix_cache_hit_rate > 0) caching++;
      }),
      { numRuns: 300, seed: 20240601 },
    );
    // The generators reach the interesting regimes, not just the easy path.
    expect(preempting).toBeGreaterThan(10);
    expect(rejecting).toBeGreaterThan(10);
    expect(caching).toBeGreaterThan(10);
  });

  it('hold under heavy KV pressure (every world preempts)', () => {
    const tight: fc.Arbitrary<WorldSpec> = fc
      .record({
        blockSize: fc.constantFrom(1, 4, 16),
        chunked: fc.boolean(),
        caching: fc.boolean(),
        policy: fc.constantFrom('random', 'round-robin', 'least-request'),
        mode: fc.constantFrom('push' as const, 'pull' as const),
        outputs: fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 4, maxLength: 16 }),
        prompts: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 16, maxLength: 16 }),
      })
      .map((x) => ({
        // 128 tokens of KV, one instance: a few long generations cannot all fit at once.
        instances: [
          {
            kvCapacityTokens: 128,
            maxModelLen: 128,
            config: {
              ...VLLM_DEFAULTS,
              blockSize: x.blockSize,
              maxNumSeqs: 8,
              maxNumBatchedTokens: 64,
              enableChunkedPrefill: x.chunked,
              enablePrefixCaching: x.caching,
            },
          },
        ],
        requests: x.outputs.map((out, i) => ({
          arrival: 0,
          promptTokens: x.prompts[i],
          outputTokens: out,
          workloadClass: 'a',
          prefixHashes: x.prompts[i] >= 16 ? [7] : [],
          hashBlockTokens: 16,
        })),
        policy: x.policy,
        mode: x.mode,
        refreshS: 0.005,
        seed: 1,
      }));
    let preempting = 0;
    fc.assert(
      fc.property(tight, (spec) => {
        const res = runWorld(spec);
        checkWorld(spec, res);
        if (res.summary.metrics.preemptions > 0) preempting++;
      }),
      { numRuns: 150, seed: 7 },
    );
    expect(preempting).toBeGreaterThan(50);
  });

  it('hold for SGLang under heavy KV pressure (retraction, radix eviction, every policy)', () => {
    const tight: fc.Arbitrary<WorldSpec> = fc
      .record({
        page: fc.constantFrom(1, 4, 16),
        chunk: fc.constantFrom(null, 16, 64),
        policy: fc.constantFrom(...SGLANG_SCHEDULE_POLICIES),
        mixed: fc.boolean(),
        radix: fc.boolean(),
        mode: fc.constantFrom('push' as const, 'pull' as const),
        outputs: fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 4, maxLength: 16 }),
        prompts: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 16, maxLength: 16 }),
        groups: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 16, maxLength: 16 }),
      })
      .map((x) => ({
        // 192 tokens of KV and a low new-token ratio: admission overcommits and decodes retract.
        instances: [
          {
            kvCapacityTokens: 192,
            maxModelLen: 128,
            config: {
              ...VLLM_DEFAULTS,
              kind: 'sglang' as const,
              blockSize: x.page,
              maxNumSeqs: 8,
              sglang: {
                ...SGLANG_DEFAULTS,
                maxRunningRequests: 8,
                chunkedPrefillSize: x.chunk,
                schedulePolicy: x.policy,
                scheduleConservativeness: 0.05,
                enableMixedChunk: x.mixed,
                disableRadixCache: !x.radix,
              },
            },
          },
        ],
        requests: x.outputs.map((out, i) => ({
          arrival: 0,
          promptTokens: x.prompts[i],
          outputTokens: out,
          workloadClass: 'a',
          prefixHashes: x.prompts[i] >= 32 ? [x.groups[i], 10 + x.groups[i]] : x.prompts[i] >= 16 ? [x.groups[i]] : [],
          hashBlockTokens: 16,
        })),
        policy: 'round-robin',
        mode: x.mode,
        refreshS: 0.005,
        seed: 1,
      }));
    let retracting = 0;
    let caching = 0;
    fc.assert(
      fc.property(tight, (spec) => {
        const res = runWorld(spec);
        checkWorld(spec, res);
        if (res.summary.metrics.preemptions > 0) retracting++;
        if (res.summary.metrics.prefix_cache_hit_rate > 0) caching++;
      }),
      { numRuns: 150, seed: 11 },
    );
    expect(retracting).toBeGreaterThan(30);
    expect(caching).toBeGreaterThan(30);
  });

  it('a request that no instance can hold is rejected in pull mode too, and the run goes on', () => {
    const cfg = { ...VLLM_DEFAULTS, blockSize: 4, maxNumSeqs: 4, maxNumBatchedTokens: 64 };
    const spec: WorldSpec = {
      instances: [
        { kvCapacityTokens: 64, maxModelLen: 1000, config: cfg },
        { kvCapacityTokens: 64, maxModelLen: 1000, config: cfg },
      ],
      requests: [
        { arrival: 0, promptTokens: 10, outputTokens: 5, workloadClass: 'a', prefixHashes: [], hashBlockTokens: 16 },
        // 200 prompt tokens: more than the 64 tokens of KV of either instance.
        { arrival: 0.001, promptTokens: 200, outputTokens: 5, workloadClass: 'a', prefixHashes: [], hashBlockTokens: 16 },
        { arrival: 0.002, promptTokens: 10, outputTokens: 5, workloadClass: 'a', prefixHashes: [], hashBlockTokens: 16 },
      ],
      policy: 'round-robin',
      mode: 'pull',
      refreshS: 0.05,
      seed: 1,
    };
    const res = runWorld(spec);
    checkWorld(spec, res);
    expect(res.summary.completed).toBe(2);
    expect(res.summary.rejected).toBe(1);
    expect(Object.keys(res.summary.rejections)[0]).toMatch(/KV capacity of 64 tokens/);
  });

  it('same world, same result (determinism)', () => {
    fc.assert(
      fc.property(worldArb, (spec) => {
        const a = runWorld(spec);
        const b = runWorld(spec);
        expect(JSON.stringify(b.summary)).toBe(JSON.stringify(a.summary));
        expect(b.events).toBe(a.events);
      }),
      { numRuns: 30, seed: 99 },
    );
  });
});

describe('hand-checked world', () => {
  it('one instance, two requests, step times of 1 ms + 0.01 ms/token', () => {
    const cfg = { ...VLLM_DEFAULTS, blockSize: 16, maxNumSeqs: 4, maxNumBatchedTokens: 256, enablePrefixCaching: false };
    const spec: WorldSpec = {
      instances: [{ kvCapacityTokens: 1024, maxModelLen: 1024, config: cfg }],
      requests: [
        { arrival: 0, promptTokens: 100, outputTokens: 3, workloadClass: 'a', prefixHashes: [], hashBlockTokens: 16 },
        { arrival: 0, promptTokens: 50, outputTokens: 1, workloadClass: 'a', prefixHashes: [], hashBlockTokens: 16 },
      ],
      policy: 'round-robin',
      mode: 'push',
      refreshS: 0.05,
      seed: 1,
    };
    const res = runWorld(spec);
    checkWorld(spec, res);
    // Both arrive at 0 and share step 1 (same-instant arrivals batch): 150 prompt tokens, 2.5 ms.
    // Request 1 (one token) ends with it; request 0 then decodes twice alone: 1.01 ms each.
    const [r0, r1] = [0, 1].map((id) => res.endings.find((e) => e.id === id)!.outcome!);
    expect(r0.firstToken).toBeCloseTo(0.0025, 12);
    expect(r1.firstToken).toBeCloseTo(0.0025, 12);
    expect(r1.finished).toBeCloseTo(0.0025, 12);
    expect(r0.finished).toBeCloseTo(0.0025 + 2 * 0.00101, 12);
    expect(res.summary.metrics.ttft_ms.mean).toBeCloseTo(2.5, 9);
    expect(res.summary.metrics.tpot_ms.mean).toBeCloseTo(1.01, 9);
    expect(res.steps).toBe(3);
  });
});
