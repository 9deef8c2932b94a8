import {
  createPolicy,
  Gateway,
  PdGateway,
  type CompletionInfo,
  type EndpointView,
  type PdDispatchInfo,
  type PdRoutingPolicy,
  type ProfileSet,
  type PullCapacity,
  type RequestView,
  type RouterMode,
  type RoutingContext,
  type RoutingPolicy,
} from '../routing/index.js';

/** An endpoint as the core needs it: a routing view that can be taken out of rotation. */
export interface CoreEndpoint extends EndpointView {
  healthy: boolean;
}

/** The router of a gateway: one unified policy (more through routing-strategy), or a PD policy. */
export type CoreRouter =
  | { kind: 'unified'; policy: RoutingPolicy; pullCapacity?: PullCapacity; pullSkipBlocked?: boolean; profiles?: ProfileSet; model?: string; strategyHeader: boolean }
  | { kind: 'pd'; policy: PdRoutingPolicy; pullSkipBlocked?: boolean };

/** What the host is told: send the request (unified or a PD pair), or answer that it cannot be routed. */
export interface CoreHost {
  dispatch(req: RequestView, endpoint: EndpointView, strategy: string): void;
  dispatchPd(req: RequestView, prefill: EndpointView, decode: EndpointView, info: PdDispatchInfo): void;
  reject(req: RequestView, reason: string): void;
}

/** One call into the routing library, with the views as they were just before it (replay input). */
export interface CoreCall {
  call: 'submit' | 'firstToken' | 'prefillDone' | 'complete' | 'capacityChanged';
  t: number;
  strategy?: string;
  req?: RequestView;
  endpoint?: string;
  info?: CompletionInfo;
  views: ViewSnapshot[];
  /** What the call decided: dispatches and rejections, in order. */
  out: CoreOutcome[];
}

export type CoreOutcome =
  | { kind: 'dispatch'; id: number; endpoint: string }
  | { kind: 'dispatch-pd'; id: number; prefill: string; decode: string }
  | { kind: 'reject'; id: number; reason: string };

export interface ViewSnapshot {
  id: string;
  healthy: boolean;
  counters: Record<string, number>;
  metrics: Record<string, number>;
  capacity: { freeSlots: number; freeKvTokens: number };
}

export interface RouterCoreOptions {
  endpoints: readonly CoreEndpoint[];
  router: CoreRouter;
  mode: RouterMode;
  /** The clock, seconds. Read once per call: every ctx.now() inside a call returns that instant. */
  clock(): number;
  random(): number;
  warn(message: string): void;
  host: CoreHost;
  /** Receives every call with its views and outcome (the decision log). */
  onCall?(call: CoreCall): void;
}

/**
 * The routing library behind a live gateway: keeps the set of healthy endpoints, freezes the
 * clock for the length of each call (so a replay sees the same instants), and records calls with
 * the views they saw when asked to.
 */
export class RouterCore {
  /** Healthy endpoints, in index order: the list the unified Gateway routes over. */
  private readonly live: CoreEndpoint[] = [];
  private readonly gateways = new Map<string, Gateway>();
  private readonly pd: PdGateway | undefined;
  private readonly ctx: RoutingContext;
  private frozen = 0;
  private current: CoreCall | undefined;
  readonly defaultStrategy: string;

  constructor(private readonly opts: RouterCoreOptions) {
    this.frozen = opts.clock();
    this.ctx = { now: () => this.frozen, random: opts.random, warn: opts.warn };
    this.syncLive();
    const r = opts.router;
    this.defaultStrategy = r.policy.name;
    if (r.kind === 'unified') {
      this.gateways.set(r.policy.name, this.makeGateway(r.policy, r.policy.name));
    } else {
      const inner = r.policy;
      const healthy = (list: readonly EndpointView[]) => list.filter((e) => (e as CoreEndpoint).healthy);
      // Endpoints out of rotation are hidden from the policy (the PD gateway keeps its full lists).
      const policy: PdRoutingPolicy = {
        name: inner.name,
        selectPair: (req, p, d, ctx) => {
          const hp = healthy(p);
          const hd = healthy(d);
          return hd.length === 0 ? undefined : inner.selectPair(req, hp, hd, ctx);
        },
        onDispatch: inner.onDispatch?.bind(inner),
        onPrefillDone: inner.onPrefillDone?.bind(inner),
        onComplete: inner.onComplete?.bind(inner),
      };
      this.pd = new PdGateway({
        policy,
        mode: opts.mode,
        endpoints: opts.endpoints,
        ctx: this.ctx,
        pullSkipBlocked: r.pullSkipBlocked,
        dispatch: (req, p, d, info) => {
          this.current?.out.push({ kind: 'dispatch-pd', id: req.id, prefill: p.id, decode: d.id });
          opts.host.dispatchPd(req, p, d, info);
        },
        reject: (req, reason) => this.rejected(req, reason),
      });
    }
  }

  get isPd(): boolean {
    return this.pd !== undefined;
  }

  /** Requests waiting in router queues. */
  get queued(): number {
    if (this.pd) return this.pd.queued;
    let n = 0;
    for (const g of this.gateways.values()) n += g.queued;
    return n;
  }

  /** Whether `strategy` (a routing-strategy header value) can be used; builds its gateway on first use. */
  hasStrategy(strategy: string): boolean {
    if (this.gateways.has(strategy)) return true;
    const r = this.opts.router;
    if (r.kind !== 'unified' || !r.strategyHeader) return false;
    let policy: RoutingPolicy;
    try {
      policy = createPolicy(strategy, r.profiles ? { profiles: r.profiles, model: r.model } : {});
    } catch {
      return false;
    }
    this.gateways.set(strategy, this.makeGateway(policy, strategy));
    return true;
  }

  submit(req: RequestView, strategy = this.defaultStrategy): void {
    this.run({ call: 'submit', req, strategy }, () => (this.pd ? this.pd.submit(req) : this.gateways.get(strategy)!.submit(req)));
  }

  firstToken(req: RequestView, endpoint: EndpointView, strategy = this.defaultStrategy): void {
    if (this.pd) return;
    this.run({ call: 'firstToken', req, endpoint: endpoint.id, strategy }, () => this.gateways.get(strategy)!.firstToken(req, endpoint));
  }

  prefillDone(req: RequestView, prefill: EndpointView): void {
    this.run({ call: 'prefillDone', req, endpoint: prefill.id }, () => this.pd!.prefillDone(req, prefill));
  }

  complete(req: RequestView, endpoint: EndpointView, info: CompletionInfo, strategy = this.defaultStrategy): void {
    const copy = { outputTokens: info.outputTokens, ttft: info.ttft, e2e: info.e2e };
    this.run({ call: 'complete', req, endpoint: endpoint.id, info: copy, strategy }, () =>
      this.pd ? this.pd.complete(req, endpoint, copy) : this.gateways.get(strategy)!.complete(req, endpoint, copy),
    );
  }

  /** New capacity was seen (a scrape, an endpoint back in rotation): pull mode re-offers its queue. */
  capacityChanged(): void {
    if (this.opts.mode !== 'pull') return;
    this.run({ call: 'capacityChanged' }, () => {
      if (this.pd) this.pd.capacityChanged();
      else for (const g of this.gateways.values()) g.capacityChanged();
    });
  }

  private makeGateway(policy: RoutingPolicy, strategy: string): Gateway {
    const r = this.opts.router as Extract<CoreRouter, { kind: 'unified' }>;
    return new Gateway({
      policy,
      mode: this.opts.mode,
      endpoints: this.live,
      ctx: this.ctx,
      pullCapacity: r.pullCapacity,
      pullSkipBlocked: r.pullSkipBlocked,
      profiles: r.profiles,
      model: r.model,
      dispatch: (req, e) => {
        this.current?.out.push({ kind: 'dispatch', id: req.id, endpoint: e.id });
        this.opts.host.dispatch(req, e, strategy);
      },
      reject: (req, reason) => this.rejected(req, reason),
    });
  }

  private rejected(req: RequestView, reason: string): void {
    this.current?.out.push({ kind: 'reject', id: req.id, reason });
    this.opts.host.reject(req, reason);
  }

  private syncLive(): void {
    this.live.length = 0;
    for (const e of this.opts.endpoints) if (e.healthy) this.live.push(e);
  }

  /** Runs one call at one frozen instant; nested calls (a host reacting synchronously) share it. */
  private run(call: Omit<CoreCall, 't' | 'views' | 'out'>, fn: () => void): void {
    if (this.current) {
      fn();
      return;
    }
    this.frozen = this.opts.clock();
    this.syncLive();
    const record: CoreCall | undefined = this.opts.onCall ? { ...call, t: this.frozen, views: this.opts.endpoints.map(snapshotView), out: [] } : undefined;
    this.current = record ?? DISCARD;
    try {
      fn();
    } finally {
      this.current = undefined;
      DISCARD.out.length = 0;
    }
    if (record) this.opts.onCall!(record);
  }
}

/** A sink for outcomes when nobody records them. */
const DISCARD: CoreCall = { call: 'submit', t: 0, views: [], out: [] };

function snapshotView(e: CoreEndpoint): ViewSnapshot {
  const cap = e.capacity();
  return {
    id: e.id,
    healthy: e.healthy,
    counters: { ...(e.counters as unknown as Record<string, number>) },
    metrics: { ...(e.metrics as unknown as Record<string, number>) },
    capacity: { freeSlots: cap.freeSlots, freeKvTokens: cap.freeKvTokens },
  };
}
