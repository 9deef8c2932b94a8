import type { EndpointCapacity, EndpointRole, EngineMetrics, GatewayCounters, RequestView } from '../routing/index.js';
import type { DecisionLogHeader } from './decision-log.js';
import { RouterCore, type CoreCall, type CoreEndpoint, type CoreOutcome, type CoreRouter } from './router-core.js';

/** An endpoint whose views are set from a log before every call. */
class ReplayEndpoint implements CoreEndpoint {
  healthy = true;
  readonly counters = { inflight: 0, inflightPromptTokens: 0, dispatched: 0, completed: 0 } as GatewayCounters;
  readonly metrics = {} as EngineMetrics;
  cap: EndpointCapacity = { freeSlots: 0, freeKvTokens: 0 };
  constructor(
    readonly index: number,
    readonly id: string,
    readonly gpuType: string,
    readonly role: EndpointRole,
    readonly group: string | undefined,
  ) {}
  capacity(): EndpointCapacity {
    return this.cap;
  }
}

export interface ReplayMismatch {
  call: number;
  expected: CoreOutcome[];
  got: CoreOutcome[];
}

/**
 * Replays a gateway's calls into the routing library with a fresh policy and the same seeded
 * random stream: before each call the endpoints are set to the views the gateway logged, at the
 * logged instant. Returns the calls whose decisions differ (none when the routing is a pure
 * function of its views, time and seed, as it must be).
 */
export function replayDecisions(
  header: DecisionLogHeader,
  calls: readonly CoreCall[],
  router: CoreRouter,
  random: () => number,
): { decisions: number; mismatches: ReplayMismatch[] } {
  const endpoints = header.endpoints.map((e, i) => new ReplayEndpoint(i, e.id, e.gpuType, e.role, e.group));
  const byId = new Map(endpoints.map((e) => [e.id, e]));
  const reqs = new Map<number, RequestView>();
  let t = 0;
  let got: CoreOutcome[] = [];
  const core = new RouterCore({
    endpoints,
    router,
    mode: header.mode,
    clock: () => t,
    random,
    warn: () => {},
    host: {
      dispatch: (req, e) => got.push({ kind: 'dispatch', id: req.id, endpoint: e.id }),
      dispatchPd: (req, p, d) => got.push({ kind: 'dispatch-pd', id: req.id, prefill: p.id, decode: d.id }),
      reject: (req, reason) => got.push({ kind: 'reject', id: req.id, reason }),
    },
  });
  let decisions = 0;
  const mismatches: ReplayMismatch[] = [];
  calls.forEach((c, i) => {
    t = c.t;
    for (const v of c.views) {
      const e = byId.get(v.id)!;
      e.healthy = v.healthy;
      Object.assign(e.counters, v.counters);
      Object.assign(e.metrics, v.metrics);
      e.cap = v.capacity;
    }
    got = [];
    // The same request object for every call about one request (policies key state by id).
    const req = c.req ? (reqs.get(c.req.id) ?? c.req) : undefined;
    if (req) reqs.set(req.id, req);
    const ep = c.endpoint !== undefined ? byId.get(c.endpoint)! : undefined;
    if (c.call === 'submit') {
      if (c.strategy && c.strategy !== core.defaultStrategy) core.hasStrategy(c.strategy);
      core.submit(req!, c.strategy);
    } else if (c.call === 'firstToken') core.firstToken(req!, ep!, c.strategy);
    else if (c.call === 'prefillDone') core.prefillDone(req!, ep!);
    else if (c.call === 'complete') core.complete(req!, ep!, c.info!, c.strategy);
    else core.capacityChanged();
    decisions += c.out.length;
    if (JSON.stringify(got) !== JSON.stringify(c.out)) mismatches.push({ call: i, expected: c.out, got });
  });
  return { decisions, mismatches };
}
