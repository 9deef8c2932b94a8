import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPolicy, Gateway, InflightIndex, pickMinRandomTie, type EndpointView, type RequestView, type RoutingPolicy } from '../../src/routing/index.js';
import { endpoint, hashes, makeCtx, request } from './helpers.js';

const inflight = (e: EndpointView) => e.counters.inflight;

/** A change of one endpoint's count, or a pick. */
const op = fc.oneof(
  fc.record({ kind: fc.constant('move' as const), at: fc.nat(), delta: fc.integer({ min: -3, max: 3 }) }),
  fc.record({ kind: fc.constant('pick' as const) }),
);

/** A push gateway over n endpoints that records each dispatch (endpoint index) and rejection (-1). */
function recordingGateway(policy: RoutingPolicy, n: number, ctx: ReturnType<typeof makeCtx>, fixedEndpoints: boolean) {
  const sent: { req: RequestView; e: EndpointView }[] = [];
  const trail: number[] = [];
  const gw = new Gateway({
    policy,
    mode: 'push',
    endpoints: Array.from({ length: n }, (_, i) => endpoint(i)),
    ctx,
    fixedEndpoints,
    dispatch: (req, e) => {
      sent.push({ req, e });
      trail.push(e.index);
    },
    reject: () => trail.push(-1),
  });
  return { gw, sent, trail };
}

describe('in-flight index', () => {
  it('picks what the scan picks, with the same draws, over random states and updates', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 70 }),
        fc.array(op, { maxLength: 120 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        (start, ops, seed) => {
          const eps = start.map((v, i) => endpoint(i, { inflight: v }));
          const index = new InflightIndex(eps);
          const scanCtx = makeCtx(seed);
          const indexCtx = makeCtx(seed);
          for (const o of [...ops, { kind: 'pick' as const }]) {
            if (o.kind === 'move') {
              const e = eps[o.at % eps.length];
              e.counters.inflight = Math.max(0, e.counters.inflight + o.delta);
              index.moved(e);
              continue;
            }
            const want = pickMinRandomTie(eps, inflight, scanCtx);
            const got = index.pickMinRandomTie(indexCtx);
            expect(got).toBe(want);
            expect(indexCtx.randomCalls).toBe(scanCtx.randomCalls);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('draws for superseded minima as the scan does (counts 2,2,1,1,0 in list order)', () => {
    const eps = [2, 2, 1, 3, 1, 0, 0, 0].map((v, i) => endpoint(i, { inflight: v }));
    const ctx = makeCtx(7);
    // Scan: one draw for the second 2, one for the second 1, two for the zeros; the script puts
    // the reservoir on the third zero (0.2 x 3 < 1), so endpoint 7 after 4 draws.
    ctx.script = [0.9, 0.9, 0.9, 0.2];
    expect(new InflightIndex(eps).pickMinRandomTie(ctx)).toBe(eps[7]);
    expect(ctx.randomCalls).toBe(4);
  });

  it('a push gateway with a fixed endpoint list routes least-request exactly as the scan does', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 40 }),
        fc.array(fc.oneof(fc.constant(-1), fc.nat()), { maxLength: 200 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        (n, script, seed) => {
          const run = (fixedEndpoints: boolean) => {
            const { gw, sent, trail } = recordingGateway(createPolicy('least-request'), n, makeCtx(seed), fixedEndpoints);
            let id = 0;
            // -1 submits a request; k completes the k-th oldest one still in flight.
            for (const s of script) {
              if (s < 0 || sent.length === 0) {
                gw.submit({ id: id++, promptTokens: 10, outputTokens: 5, arrival: 0 } as unknown as RequestView);
              } else {
                const [done] = sent.splice(s % sent.length, 1);
                gw.complete(done.req, done.e, { outputTokens: 5, ttft: 0, e2e: 0 });
              }
            }
            return trail;
          };
          expect(run(true)).toEqual(run(false));
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('prefix-cache over a fixed endpoint list', () => {
  it('routes exactly as the scan does: unmatched prompts from the index, matched ones by the full rule, imbalance included', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 24 }),
        fc.integer({ min: 0, max: 4 }),
        // -1 submits a request, -2 advances the clock by 10 s (idle blocks expire), k >= 0 completes.
        fc.array(fc.oneof(fc.constant(-1), fc.constant(-1), fc.constant(-2), fc.nat()), { maxLength: 160 }),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 16 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        (n, imbalanceAbsCount, script, prefixes, seed) => {
          const run = (fixedEndpoints: boolean) => {
            const ctx = makeCtx(seed);
            // 2-block router blocks of 16-token hashes; idle blocks go after 15 s.
            const policy = createPolicy('prefix-cache', { imbalanceAbsCount, blockTokens: 32, evictionS: 15 });
            const { gw, sent, trail } = recordingGateway(policy, n, ctx, fixedEndpoints);
            let id = 0;
            for (const s of script) {
              if (s === -2) ctx.t += 10;
              else if (s === -1 || sent.length === 0) {
                // Prefix key 0: no shared blocks; others share 2-8 hash blocks of that key.
                const key = prefixes[id % prefixes.length];
                const req = request(id++, { promptTokens: 200, prefixHashes: key === 0 ? [] : hashes(key, 2 * key) });
                gw.submit({ ...req, outputTokens: 5 } as unknown as RequestView);
              } else {
                const [done] = sent.splice(s % sent.length, 1);
                gw.complete(done.req, done.e, { outputTokens: 5, ttft: 0, e2e: 0 });
              }
            }
            trail.push(ctx.randomCalls);
            return trail;
          };
          expect(run(true)).toEqual(run(false));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('the least and most in-flight counts follow every move', () => {
    const eps = [3, 1, 4, 1].map((v, i) => endpoint(i, { inflight: v }));
    const index = new InflightIndex(eps);
    expect([index.least, index.most]).toEqual([1, 4]);
    eps[2].counters.inflight = 0;
    index.moved(eps[2]);
    expect([index.least, index.most]).toEqual([0, 3]);
    eps[0].counters.inflight = 2;
    index.moved(eps[0]);
    expect([index.least, index.most]).toEqual([0, 2]);
    expect([new InflightIndex([]).least, new InflightIndex([]).most]).toEqual([0, 0]);
  });
});

describe('indexed scores of metric-based pickers', () => {
  const value = fc.constantFrom<number | undefined>(undefined, Number.NaN, 0, 0.25, 0.5, 1, 3);
  const metrics = fc.record({
    kvUsage: value,
    avgPromptTokensPerReq: value,
    avgGenerationTokensPerReq: value,
    avgQueueTimeS: value,
    avgPrefillTimeS: value,
    avgDecodeTimeS: value,
  });
  const step = fc.oneof(
    fc.record({ kind: fc.constant('refresh' as const), at: fc.nat(), m: metrics }),
    fc.record({ kind: fc.constant('pick' as const) }),
  );

  for (const name of ['least-kv-cache', 'least-gpu-cache', 'throughput', 'least-latency']) {
    it(`${name}: scoring once per metrics refresh picks what scoring per pick does, draw for draw`, () => {
      fc.assert(
        fc.property(fc.array(metrics, { minLength: 1, maxLength: 40 }), fc.array(step, { maxLength: 80 }), fc.integer({ min: 1, max: 2 ** 31 - 1 }), (start, steps, seed) => {
          const eps = start.map((m, i) => endpoint(i, m as Record<string, number>));
          const scan = createPolicy(name);
          const indexed = createPolicy(name);
          const fleet = { endpoints: eps, inflight: new InflightIndex(eps), metricsEpoch: 0 };
          const scanCtx = makeCtx(seed);
          const indexCtx = makeCtx(seed);
          const req = { id: 0, promptTokens: 10, outputTokens: 5 } as unknown as RequestView;
          for (const s of [...steps, { kind: 'pick' as const }]) {
            if (s.kind === 'refresh') {
              Object.assign(eps[s.at % eps.length].metrics, s.m);
              fleet.metricsEpoch++;
              continue;
            }
            expect(indexed.selectIndexed!(req, fleet, indexCtx)).toBe(scan.select(req, eps, scanCtx));
            expect(indexCtx.randomCalls).toBe(scanCtx.randomCalls);
          }
        }),
        { numRuns: 150 },
      );
    });
  }
});
