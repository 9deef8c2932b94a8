import type {
  EndpointCapacity,
  EndpointView,
  EngineMetrics,
  GatewayCounters,
  RequestView,
  RoutingContext,
} from '../../src/routing/index.js';

/** A RoutingContext with settable time, scripted or seeded randomness, and collected warnings. */
export interface TestCtx extends RoutingContext {
  t: number;
  warnings: string[];
  /** Values returned by random() first, in order; then the seeded generator. */
  script: number[];
  randomCalls: number;
}

export function makeCtx(seed = 1, now = 0): TestCtx {
  let s = seed >>> 0 || 1;
  const ctx: TestCtx = {
    t: now,
    warnings: [],
    script: [],
    randomCalls: 0,
    now() {
      return ctx.t;
    },
    random() {
      ctx.randomCalls++;
      if (ctx.script.length > 0) return ctx.script.shift() as number;
      // xorshift32: deterministic, good enough for tie-breaking statistics
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      return s / 4294967296;
    },
    warn(message: string) {
      ctx.warnings.push(message);
    },
  };
  return ctx;
}

export interface TestEndpoint extends EndpointView {
  counters: GatewayCounters;
  metrics: EngineMetrics;
  cap: EndpointCapacity;
}

export function endpoint(
  index: number,
  opts: Partial<EngineMetrics> & { gpuType?: string; inflight?: number; freeSlots?: number; freeKvTokens?: number; id?: string } = {},
): TestEndpoint {
  const { gpuType = 'A100', inflight = 0, freeSlots = 8, freeKvTokens = 100000, id, ...m } = opts;
  const e: TestEndpoint = {
    id: id ?? `${gpuType}-${index}`,
    index,
    gpuType,
    role: 'unified',
    counters: { inflight, inflightPromptTokens: 0, dispatched: 0, completed: 0 },
    metrics: {
      running: 0,
      waiting: 0,
      kvUsage: 0,
      promptTokensPerS: 0,
      generationTokensPerS: 0,
      avgTpotS: 0,
      avgTtftS: 0,
      updatedAt: 0,
      ...m,
    },
    cap: { freeSlots, freeKvTokens },
    capacity() {
      return e.cap;
    },
  };
  return e;
}

export function request(id: number, opts: Partial<RequestView> = {}): RequestView {
  return {
    id,
    arrival: 0,
    promptTokens: 100,
    workloadClass: 'test',
    prefixHashes: [],
    hashBlockTokens: 16,
    ...opts,
  };
}

/** Chained-looking hashes for a shared prefix: `blocks` hashes derived from a key. */
export function hashes(key: number, blocks: number): number[] {
  return Array.from({ length: blocks }, (_, i) => key * 1000 + i + 1);
}

/** Counts how often each endpoint index is chosen over `n` calls. */
export function histogram(n: number, pick: () => EndpointView | undefined): Map<number, number> {
  const h = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const e = pick();
    const k = e ? e.index : -1;
    h.set(k, (h.get(k) ?? 0) + 1);
  }
  return h;
}
