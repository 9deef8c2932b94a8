import { RoutingError } from './errors.js';
import { isScoringPolicy, type QueueDecision, type RouterQueue, type RoutingPolicy, type ScoringPolicy } from './policy.js';
import type { CompletionInfo, EndpointView, RequestView, RoutingContext } from './types.js';
import { frameIn } from './stack-frame.js';

/** A custom policy broke its contract (returned something that is not a candidate, wrote to a view). */
export class PolicyContractError extends RoutingError {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyContractError';
  }
}

/**
 * Holds a policy loaded from a user's module to the policy contract, without trusting it:
 *
 * - it sees read-only views: endpoints, their counters and metrics, requests and the context are
 *   facades over the live objects, so a write (`e.counters.inflight = 0`) throws instead of
 *   changing the simulation, and the simulator's own objects (an endpoint's engine) are out of
 *   reach. Endpoint facades are built once per endpoint and reads go straight through to the live
 *   values, so nothing is copied per decision; requests are copied once each (frozen).
 * - `select` must return one of the candidates it was given, or undefined/null for none; anything
 *   else (a Promise, a foreign object, a prototype) fails the request naming the module and what
 *   came back.
 * - an error thrown from its code names the module's file and line.
 *
 * Built-in policies are part of this library and are not wrapped: the guard costs nothing on
 * their hot path.
 */
export function guardPolicy(policy: RoutingPolicy, file: string, label = file): RoutingPolicy {
  const views = new ViewCache(label, file);
  const ctxView = (ctx: RoutingContext) => views.context(ctx);
  const call = <T>(what: string, fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      throw views.explain(err, what);
    }
  };
  const guarded: RoutingPolicy & { -readonly [K in keyof ScoringPolicy]?: ScoringPolicy[K] } = {
    name: policy.name,
    select: (req, endpoints, ctx) => {
      const cands = views.endpointList(endpoints);
      const r = call('select', () => policy.select(views.request(req), cands, ctxView(ctx)));
      return views.realCandidate(r, endpoints);
    },
    ...(policy.onDispatch && {
      onDispatch: (req: RequestView, e: EndpointView, ctx: RoutingContext) =>
        call('onDispatch', () => policy.onDispatch!(views.request(req), views.endpoint(e), ctxView(ctx))),
    }),
    ...(policy.onFirstToken && {
      onFirstToken: (req: RequestView, e: EndpointView, ctx: RoutingContext) =>
        call('onFirstToken', () => policy.onFirstToken!(views.request(req), views.endpoint(e), ctxView(ctx))),
    }),
    ...(policy.onComplete && {
      onComplete: (req: RequestView, e: EndpointView, info: CompletionInfo, ctx: RoutingContext) =>
        call('onComplete', () => policy.onComplete!(views.request(req), views.endpoint(e), Object.freeze({ ...info }), ctxView(ctx))),
    }),
    ...(policy.queue && { queue: guardQueue(policy.queue, views, call) }),
    ...(policy.pendingLoad && { pendingLoad: policy.pendingLoad }),
    ...(policy.bypassSingleEndpoint !== undefined && { bypassSingleEndpoint: policy.bypassSingleEndpoint }),
  };
  if (isScoringPolicy(policy)) {
    guarded.polarity = policy.polarity;
    guarded.scoreAll = (req, endpoints, ctx, scores, scored) =>
      call('scoreAll', () => policy.scoreAll(views.request(req), views.endpointList(endpoints), ctxView(ctx), scores, scored));
    if (policy.postRouteUpdate) {
      guarded.postRouteUpdate = (req, e, ctx) => call('postRouteUpdate', () => policy.postRouteUpdate!(views.request(req), views.endpoint(e), ctxView(ctx)));
    }
  }
  return guarded;
}

function guardQueue(queue: RouterQueue, views: ViewCache, call: <T>(what: string, fn: () => T) => T): RouterQueue {
  const decision = { kind: 'dispatch', req: undefined, endpoint: undefined } as unknown as QueueDecision;
  return {
    get length() {
      return queue.length;
    },
    enqueue: (req, ctx) => call('queue.enqueue', () => queue.enqueue(views.request(req), views.context(ctx))),
    next: (endpoints, ctx) => {
      const cands = views.endpointList(endpoints);
      const d = call('queue.next', () => queue.next(cands, views.context(ctx)));
      if (d === undefined || d === null) return undefined;
      const req = views.realRequest((d as { req?: unknown }).req, 'queue.next');
      if (d.kind === 'reject') return { kind: 'reject', req, reason: String(d.reason) };
      if (d.kind !== 'dispatch') throw new PolicyContractError(`${views.file}: queue.next returned kind ${JSON.stringify((d as { kind?: unknown }).kind)}; expected "dispatch" or "reject"`);
      const endpoint = views.realCandidate(d.endpoint, endpoints, 'queue.next');
      if (!endpoint) throw new PolicyContractError(`${views.file}: queue.next returned a dispatch without an endpoint`);
      Object.assign(decision, { kind: 'dispatch', req, endpoint });
      return decision;
    },
    ...(queue.wakeOnCompletion && {
      wakeOnCompletion: (e: EndpointView, released: number) => call('queue.wakeOnCompletion', () => queue.wakeOnCompletion!(views.endpoint(e), released)) === true,
    }),
    removeAll: () => call('queue.removeAll', () => queue.removeAll()).map((r) => views.realRequest(r, 'queue.removeAll')),
  };
}

/** Read-only facades, one per live object, and the way back from a facade to the live object. */
class ViewCache {
  private readonly endpoints = new Map<EndpointView, EndpointView>();
  private readonly facadeToEndpoint = new Map<unknown, EndpointView>();
  private readonly requests = new WeakMap<RequestView, RequestView>();
  private readonly contexts = new WeakMap<RoutingContext, RoutingContext>();

  /** `file`: the module as the user named it (for messages); `path`: its absolute path (to find it in stacks). */
  constructor(
    readonly file: string,
    private readonly path: string,
  ) {}

  endpoint(e: EndpointView): EndpointView {
    let v = this.endpoints.get(e);
    if (!v) {
      v = Object.freeze({
        id: e.id,
        index: e.index,
        gpuType: e.gpuType,
        role: e.role,
        ...(e.group !== undefined && { group: e.group }),
        counters: readOnly(e.counters, `${e.id}.counters`),
        metrics: readOnly(e.metrics, `${e.id}.metrics`),
        capacity: () => Object.freeze({ ...e.capacity() }),
      });
      this.endpoints.set(e, v);
      this.facadeToEndpoint.set(v, e);
    }
    return v;
  }

  /** A new array per call: the policy may keep or reorder it without touching the gateway's list. */
  endpointList(endpoints: readonly EndpointView[]): readonly EndpointView[] {
    const list = new Array<EndpointView>(endpoints.length);
    for (let i = 0; i < endpoints.length; i++) list[i] = this.endpoint(endpoints[i]);
    return list;
  }

  request(req: RequestView): RequestView {
    let v = this.requests.get(req);
    if (!v) {
      v = new RequestFacade(req);
      this.requests.set(req, v);
    }
    return v;
  }

  context(ctx: RoutingContext): RoutingContext {
    let v = this.contexts.get(ctx);
    if (!v) {
      v = Object.freeze({ now: () => ctx.now(), random: () => ctx.random(), warn: (m: string) => ctx.warn(String(m)) });
      this.contexts.set(ctx, v);
    }
    return v;
  }

  realRequest(v: unknown, what: string): RequestView {
    const r = RequestFacade.liveOf(v);
    if (!r) throw new PolicyContractError(`${this.file}: ${what} returned ${describeValue(v)} where a request it was given belongs`);
    return r;
  }

  /** The live endpoint behind `v`, which must be one of the candidates `live`; undefined/null for none. */
  realCandidate(v: unknown, live: readonly EndpointView[], what = 'select'): EndpointView | undefined {
    if (v === undefined || v === null) return undefined;
    // By identity, not position: the policy may have reordered the list it was given.
    const other = this.facadeToEndpoint.get(v);
    if (other !== undefined && live.includes(other)) return other;
    const names = live.map((e) => e.id).join(', ');
    const got = other ? `endpoint ${other.id}, which is not one of the candidates it was given (${names})` : describeValue(v);
    throw new PolicyContractError(`${this.file}: ${what} returned ${got}; it must return one of the candidate endpoints it was given, or undefined for none`);
  }

  /** An error thrown by the policy's code, with the module's file and line when the stack has them. */
  explain(err: unknown, what: string): unknown {
    if (err instanceof PolicyContractError && !(err instanceof ViewWriteError)) return err;
    const where = userFrame(err, this.path, this.file);
    if (err instanceof ViewWriteError) return new PolicyContractError(`${where ?? this.file}: ${what} ${err.message}`);
    const why = err instanceof Error ? `${err.name}: ${err.message}` : `threw ${describeValue(err)}`;
    return new PolicyContractError(`${where ?? this.file}: ${what} threw ${why}`);
  }
}

/** A write to a read-only view; reported with the line of the policy that tried it. */
class ViewWriteError extends PolicyContractError {}

/**
 * A request as a custom policy sees it: getters over the live request (one small object per
 * request, no copy), the prefix hashes copied and frozen only if the policy reads them.
 */
class RequestFacade implements RequestView {
  // Private fields: out of the policy's reach (a public `live` would hand it the real request).
  readonly #live: RequestView;
  #hashes: readonly number[] | undefined;
  constructor(live: RequestView) {
    this.#live = live;
    Object.freeze(this);
  }
  /** The live request behind a facade, or undefined for anything else. */
  static liveOf(v: unknown): RequestView | undefined {
    return typeof v === 'object' && v !== null && #live in v ? (v as RequestFacade).#live : undefined;
  }
  get id(): number {
    return this.#live.id;
  }
  get arrival(): number {
    return this.#live.arrival;
  }
  get promptTokens(): number {
    return this.#live.promptTokens;
  }
  get workloadClass(): string {
    return this.#live.workloadClass;
  }
  get hashBlockTokens(): number {
    return this.#live.hashBlockTokens;
  }
  get sessionId(): string | undefined {
    return this.#live.sessionId;
  }
  get prefixHashes(): readonly number[] {
    return (this.#hashes ??= Object.freeze([...this.#live.prefixHashes]));
  }
}

/** Every field of GatewayCounters and EngineMetrics, so a view covers fields a host sets later too. */
const VIEW_FIELDS = [
  'inflight', 'inflightPromptTokens', 'dispatched', 'completed', 'pendingLoad', 'prefillInflight', 'pendingDecode', 'decodeRunning',
  'decodeStarted', 'drainRate1m', 'running', 'waiting', 'kvUsage', 'promptTokensPerS', 'generationTokensPerS', 'avgTpotS', 'avgTtftS',
  'updatedAt', 'avgQueueTimeS', 'avgPrefillTimeS', 'avgDecodeTimeS', 'avgPromptTokensPerReq', 'avgGenerationTokensPerReq', 'numTokens',
];

/**
 * A frozen view of `target`: one getter per field reading the live value (cheap for the engine
 * to inline, unlike a Proxy), and a setter that refuses with a message naming the field.
 */
function readOnly<T extends object>(target: T, name: string): T {
  const view = {};
  const rec = target as Record<string, unknown>;
  for (const key of new Set([...Object.keys(target), ...VIEW_FIELDS])) {
    Object.defineProperty(view, key, {
      enumerable: true,
      get: () => rec[key],
      set: () => {
        throw new ViewWriteError(`tried to change ${name}.${key}; endpoint views are read-only`);
      },
    });
  }
  return Object.freeze(view) as T;
}

/** The first stack frame in the user's module: "./policy.ts:12:5" (line and column). */
function userFrame(err: unknown, file: string, label: string): string | undefined {
  const f = frameIn(err, [file]);
  return f?.column !== undefined ? `${label}:${f.line}:${f.column}` : undefined;
}

/** What a value is, for a message: "a Promise", "Object.prototype", "an object with keys a, b". */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `the ${typeof v} ${String(v)}`;
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'symbol') return 'a symbol';
  if (typeof (v as { then?: unknown }).then === 'function') return 'a Promise (select must decide synchronously)';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  const ctor = Object.getOwnPropertyDescriptor(v, 'constructor')?.value as { name?: string; prototype?: unknown } | undefined;
  if (typeof ctor === 'function' && ctor.prototype === v) return `${ctor.name || 'a class'}.prototype (a prototype, not an endpoint)`;
  if (Object.getPrototypeOf(v) === null) return 'an object with no prototype (not an endpoint it was given)';
  const keys = Object.keys(v).slice(0, 5);
  return `an object that is not one of the candidate endpoints (keys: ${keys.join(', ') || 'none'})`;
}
