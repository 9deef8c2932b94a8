import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { randomStream } from '../../src/engine/random.js';
import { ProfileSet, createPolicy, type AibrixProfile, type QueueDecision, type RoutingContext } from '../../src/routing/index.js';
import type { SloQueue } from '../../src/routing/slo-queue.js';
import { endpoint, request } from './helpers.js';

/**
 * The SLO queue's fast pass (bounds that skip certain capacity failures, only advancing the router
 * stream) against its exhaustive reference on constructed states: the same decisions, and the
 * stream left at the same place after every call.
 */

const TICKS = [4, 16, 64, 256, 1024];
// Consumption 1/(tput x e2e) from these lands on 0.05 .. 1 and beyond, with exact ties.
const TPUTS = [0, 0.5, 1, 2, 4, 10, 20];
const E2E = [0.5, 1, 2, 4];
const LOADS = [0, 0, 0.25, 0.5, 0.75, 0.9, 0.95, 1];

interface Scenario {
  gpuTypes: string[];
  tables: { tputs: number[][]; e2e: number[][]; ttft: number[][] }[];
  slo: 'e2e' | 'ttft' | 'tpot' | 'tpat';
  policy: 'slo' | 'slo-pack-load';
  admitIdle: boolean;
  /** Predictor window, s: short windows expire traces (and change what it can predict). */
  windowS: number;
  pods: number[];
  loads: number[];
  traces: { input: number; output: number }[];
  requests: { prompt: number; arrival: number }[];
  /** Per step: complete a dispatched request (and feed the predictor), then call next() up to 3 times. */
  steps: { complete: boolean; trace: { input: number; output: number } }[];
  skipper: boolean;
}

const grid = (values: readonly number[]) =>
  fc.array(fc.array(fc.constantFrom(...values), { minLength: TICKS.length, maxLength: TICKS.length }), {
    minLength: TICKS.length,
    maxLength: TICKS.length,
  });
const tokens = fc.oneof(fc.integer({ min: 1, max: 2000 }), fc.constantFrom(4, 16, 64, 256, 1024));
const few = fc.constantFrom(20, 100, 1000);

const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    types: fc.integer({ min: 1, max: 2 }),
    tables: fc.array(fc.record({ tputs: grid(TPUTS), e2e: grid(E2E), ttft: grid([0.1, 0.5, 1, 2]) }), { minLength: 2, maxLength: 2 }),
    slo: fc.constantFrom('e2e' as const, 'ttft' as const, 'tpot' as const, 'tpat' as const),
    policy: fc.constantFrom('slo' as const, 'slo-pack-load' as const),
    admitIdle: fc.boolean(),
    windowS: fc.constantFrom(240, 20),
    pods: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 2, maxLength: 2 }),
    loads: fc.array(fc.constantFrom(...LOADS), { minLength: 10, maxLength: 10 }),
    traces: fc.array(fc.record({ input: tokens, output: tokens }), { maxLength: 30 }),
    requests: fc.array(fc.record({ prompt: tokens, arrival: fc.integer({ min: 0, max: 20 }) }), { minLength: 1, maxLength: 40 }),
    // Few distinct trace lengths: a new trace often lands in a cell that is already non-empty, so
    // only expiry changes what the predictor can return.
    steps: fc.array(fc.record({ complete: fc.boolean(), trace: fc.record({ input: few, output: few }) }), { maxLength: 25 }),
    skipper: fc.boolean(),
  })
  .map((r) => ({ ...r, gpuTypes: ['H100', 'A10'].slice(0, r.types) }));

function profilesOf(s: Scenario): ProfileSet {
  const set = new ProfileSet();
  const slos: AibrixProfile['slos'] =
    s.slo === 'e2e' ? { e2e: 3 } : s.slo === 'ttft' ? { ttft: 1 } : s.slo === 'tpot' ? { tpot: 0.02, ttft: 0.5 } : { tpat: 0.005 };
  s.gpuTypes.forEach((g, i) => {
    const t = s.tables[i];
    set.add('m', g, { gpu: g.toLowerCase(), tputs: t.tputs, e2e: t.e2e, ttft: t.ttft, indexes: [TICKS, TICKS], created: 1, slos });
  });
  return set;
}

/** One simulated router: the policy, its endpoints, and a clock and stream of its own. */
function world(s: Scenario, exhaustive: boolean) {
  const policy = createPolicy(s.policy, { profiles: profilesOf(s), admitIdle: s.admitIdle, predictorWindowS: s.windowS });
  const queue = policy.queue as SloQueue;
  queue.exhaustiveOnly = exhaustive;
  const load = policy.pendingLoad!;
  let k = 0;
  const eps = s.gpuTypes.flatMap((g, gi) =>
    Array.from({ length: s.pods[gi] }, (_, i) => {
      const e = endpoint(i, { gpuType: g });
      (e.counters as { pendingLoad?: number }).pendingLoad = s.loads[k++ % s.loads.length];
      return e;
    }),
  );
  const random = randomStream(11, 'router');
  const ctx: RoutingContext & { t: number } = {
    t: 30,
    now: () => ctx.t,
    random,
    skipRandom: !exhaustive && s.skipper ? random.skip : undefined,
    warn: () => {},
  };
  for (const tr of s.traces) load.observe(tr.input, tr.output, 1);
  s.requests.forEach((r, id) => queue.enqueue(request(id, { promptTokens: r.prompt, arrival: r.arrival }), ctx));
  const inflight: { id: number; ep: number; prompt: number }[] = [];
  const log: unknown[] = [];
  const record = (d: QueueDecision | undefined) => {
    if (!d) log.push('none');
    else if (d.kind === 'dispatch') {
      log.push(['dispatch', d.req.id, d.endpoint.id]);
      load.add(d.req, d.endpoint, ctx);
      inflight.push({ id: d.req.id, ep: eps.indexOf(d.endpoint as (typeof eps)[number]), prompt: d.req.promptTokens });
    } else log.push(['reject', d.req.id, d.reason, d.rejection]);
    // Where the stream stands: the next draw of a copy would be the same in both worlds.
    log.push(random());
  };
  const step = (st: Scenario['steps'][number]) => {
    ctx.t += 4;
    if (st.complete && inflight.length > 0) {
      const f = inflight.shift()!;
      load.release(request(f.id, { promptTokens: f.prompt }), eps[f.ep]);
      load.observe(st.trace.input, st.trace.output, ctx.t);
    }
    for (let i = 0; i < 3; i++) {
      const d = queue.next(eps, ctx);
      record(d);
      if (!d) break;
    }
  };
  return { step, log, queue };
}

describe('SLO queue fast pass', () => {
  it('decides exactly as the exhaustive pass and leaves the router stream where it does', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const fast = world(s, false);
        const ref = world(s, true);
        fast.step({ complete: false, trace: { input: 1, output: 1 } });
        ref.step({ complete: false, trace: { input: 1, output: 1 } });
        for (const st of s.steps) {
          fast.step(st);
          ref.step(st);
        }
        expect(fast.log).toEqual(ref.log);
        expect(fast.queue.length).toBe(ref.queue.length);
      }),
      { numRuns: 400 },
    );
  });

  it('skips the draws of a fleet that is full for every head, without evaluating them', () => {
    // One GPU type, 3 endpoints all at load 0.9; every cell's consumption is 0.25 > 0.1 left.
    const row = TICKS.map(() => 2);
    const s: Scenario = {
      gpuTypes: ['H100'],
      tables: [{ tputs: TICKS.map(() => row), e2e: TICKS.map(() => TICKS.map(() => 2)), ttft: TICKS.map(() => row) }],
      slo: 'e2e',
      policy: 'slo',
      admitIdle: false,
      windowS: 240,
      pods: [3],
      loads: [0.9],
      traces: [{ input: 100, output: 50 }, { input: 1000, output: 200 }],
      requests: [{ prompt: 100, arrival: 0 }, { prompt: 1000, arrival: 1 }, { prompt: 3, arrival: 2 }],
      steps: [],
      skipper: true,
    };
    const fast = world(s, false);
    const ref = world(s, true);
    fast.step({ complete: false, trace: { input: 1, output: 1 } });
    ref.step({ complete: false, trace: { input: 1, output: 1 } });
    expect(fast.log[0]).toBe('none');
    expect(fast.log).toEqual(ref.log);
    // Prompts 100 and 1000 have history: one draw each for their sub-queue key at enqueue, then
    // 1 rank + 3 capacity checks each; prompt 3 has none and draws nothing: 2 + 8 draws.
    const stream = randomStream(11, 'router');
    stream.skip!(10);
    expect(fast.log[1]).toBe(stream());
  });
});
