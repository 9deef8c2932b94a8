import { Agent, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  BadRequestError,
  BodyTooLargeError,
  closeServer,
  HASH_BLOCK_TOKENS,
  listen,
  parseRequestBody,
  PROMETHEUS_CONTENT_TYPE,
  readBody,
  sendError,
  sendJson,
  type ApiKind,
  type ParsedRequest,
} from '../llm-http/index.js';
import type { CompletionInfo, EndpointView, PdDispatchInfo, RequestView } from '../routing/index.js';
import { DEFAULT_REFRESH_MS, type GatewayConfig } from './config.js';
import { DecisionLog } from './decision-log.js';
import { LiveEndpoint, SIGNALS } from './live-endpoint.js';
import { Flight } from './flight.js';
import { gatewayMetricsText } from './gateway-metrics.js';
import { RequestStats } from './request-stats.js';
import { Upstream } from './upstream.js';
import { RouterCore, type CoreCall, type CoreRouter } from './router-core.js';
import { Scraper, type RefreshIntervals } from './scraper.js';

export interface GatewayOptions {
  config: GatewayConfig;
  /** The router, built by the caller (policy names, modules and profiles resolved). */
  router: CoreRouter;
  /** Uniform [0, 1) from a seeded stream. */
  random(): number;
  /** Wall clock, seconds (injected at this edge). Default performance.now. */
  now?: () => number;
  warn?(message: string): void;
  /** Every routing-library call with its views (besides the decisions log file). */
  onCall?(call: CoreCall): void;
}

export interface GatewayHandle {
  url: string;
  port: number;
  endpoints: readonly LiveEndpoint[];
  stats: RequestStats;
  core: RouterCore;
  close(): Promise<void>;
}

/** How long an endpoint stays out of rotation after a failure before a good scrape brings it back, seconds. */
const QUARANTINE_S = 2;

/**
 * `sim gateway`: an OpenAI-compatible HTTP router. Each request is routed by the routing
 * library (the code the simulator runs), forwarded to the chosen engine and streamed back
 * byte for byte; engine metrics are scraped on the policy's refresh intervals.
 */
export async function startGateway(opts: GatewayOptions): Promise<GatewayHandle> {
  const cfg = opts.config;
  const wall = opts.now ?? (() => performance.now() / 1000);
  const t0 = wall();
  const clock = () => wall() - t0;
  const warn = opts.warn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  const agent = new Agent({ keepAlive: true, maxSockets: 1024 });
  const endpoints = cfg.endpoints.map((e, i) => {
    const u = new URL(e.url);
    return new LiveEndpoint(i, {
      id: e.name ?? u.host,
      url: e.url.replace(/\/+$/, ''),
      gpuType: e.gpu,
      role: e.role,
      group: e.roleset,
      maxNumSeqs: e.maxNumSeqs,
      kvTokens: e.kvTokens,
      bootstrapPort: e.bootstrapPort,
    });
  });
  const quarantine = new Map<LiveEndpoint, number>();
  const stats = new RequestStats(cfg.slo && { ttftS: ms(cfg.slo.ttftMs), tpotS: ms(cfg.slo.tpotMs), e2eS: ms(cfg.slo.e2eMs) });
  // Opened once the port is ours, so a gateway that cannot start leaves no log behind.
  let decisionLog: DecisionLog | undefined;
  const flights = new Map<number, Flight>();
  const upstream = new Upstream({
    agent,
    connectTimeoutMs: cfg.limits.connectTimeoutMs,
    idleTimeoutMs: cfg.limits.idleTimeoutMs,
    clock,
    markUnhealthy: (e, reason) => markUnhealthy(e, reason),
  });
  let nextId = 0;

  const core: RouterCore = new RouterCore({
    endpoints,
    router: opts.router,
    mode: cfg.router.mode,
    clock,
    random: opts.random,
    warn,
    onCall:
      cfg.log?.decisions || opts.onCall
        ? (c) => {
            decisionLog?.write(c);
            opts.onCall?.(c);
          }
        : undefined,
    host: {
      dispatch: (view, ep) => later(() => dispatchUnified(view, ep as LiveEndpoint)),
      dispatchPd: (view, p, d, info) => later(() => dispatchPd(view, p as LiveEndpoint, d as LiveEndpoint, info)),
      reject: (view, reason) => {
        const f = flights.get(view.id);
        flights.delete(view.id);
        if (!f) return;
        f.completed = true;
        answerError(f, 503, `request not routed: ${reason}`, { 'x-error-routing': 'true' }, true);
      },
    },
  });

  const intervals = refreshIntervals(cfg);
  const scraper = new Scraper({
    endpoints,
    intervals,
    now: clock,
    agent,
    timeoutMs: cfg.limits.scrapeTimeoutMs,
    onRefresh: () => core.capacityChanged(),
    onHealth: (e, healthy, reason) => {
      if (healthy) {
        if (clock() < (quarantine.get(e) ?? -Infinity)) return;
        e.healthy = true;
        warn(`endpoint ${e.id} is back in rotation (${reason})`);
      } else markUnhealthy(e, reason);
    },
  });

  function markUnhealthy(e: LiveEndpoint, reason: string): void {
    quarantine.set(e, clock() + QUARANTINE_S);
    e.lastError = reason;
    if (!e.healthy) return;
    e.healthy = false;
    warn(`endpoint ${e.id} taken out of rotation: ${reason}`);
  }

  // Requests that arrive before the first scrape has filled the views wait for it.
  let markReady!: () => void;
  const ready = new Promise<void>((r) => (markReady = r));
  const server: Server = createServer((req, res) => {
    ready.then(() => handle(req, res)).catch((err) => {
      if (!res.headersSent) sendError(res, 500, String((err as Error)?.message ?? err));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/health') {
      const up = endpoints.some((e) => e.healthy);
      res.writeHead(up ? 200 : 503, { 'content-type': 'text/plain' }).end(up ? 'ok\n' : 'no healthy endpoint\n');
      return;
    }
    if (req.method === 'GET' && path === '/v1/models') {
      sendJson(res, 200, { object: 'list', data: [{ id: cfg.model, object: 'model', created: 0, owned_by: 'routesim-gateway' }] });
      return;
    }
    if (req.method === 'GET' && path === '/metrics') {
      const text = gatewayMetricsText(endpoints, core, stats, clock);
      res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'content-length': Buffer.byteLength(text) }).end(text);
      return;
    }
    const kind: ApiKind | undefined = path === '/v1/completions' ? 'completions' : path === '/v1/chat/completions' ? 'chat' : undefined;
    if (!kind) return sendError(res, 404, `no route ${req.method} ${path}`);
    if (req.method !== 'POST') return sendError(res, 405, `${path} takes POST`);
    let body: Record<string, unknown>;
    let raw: string;
    let parsed: ParsedRequest;
    try {
      raw = await readBody(req);
      body = JSON.parse(raw);
      parsed = parseRequestBody(kind, body);
    } catch (err) {
      if (err instanceof BodyTooLargeError) return sendError(res, 413, err.message);
      if (err instanceof BadRequestError || err instanceof SyntaxError) return sendError(res, 400, err.message);
      throw err;
    }
    const header = req.headers['routing-strategy'];
    const strategy = typeof header === 'string' && header !== '' ? header : core.defaultStrategy;
    if (strategy !== core.defaultStrategy && !core.hasStrategy(strategy)) {
      return sendError(res, 400, `incorrect routing strategy ${strategy}`, { 'x-error-routing': 'true' });
    }
    if (!endpoints.some((e) => e.healthy)) {
      return sendError(res, 503, `no healthy endpoint (${endpoints.map((e) => `${e.id}: ${e.lastError}`).join('; ')})`);
    }
    if (core.queued >= cfg.limits.maxQueued) {
      return sendError(res, 429, `router queue full (${cfg.limits.maxQueued} requests waiting)`);
    }
    if (scraper.liveSignals.length > 0) await scraper.refresh(scraper.liveSignals);
    const session = req.headers['x-session-id'];
    const klass = req.headers['x-workload-class'];
    const view: RequestView = {
      id: nextId++,
      arrival: clock(),
      promptTokens: parsed.promptTokens,
      workloadClass: typeof klass === 'string' && klass !== '' ? klass : 'default',
      prefixHashes: parsed.prefixHashes,
      hashBlockTokens: HASH_BLOCK_TOKENS,
      ...(typeof session === 'string' && session !== '' ? { sessionId: session } : parsed.user !== undefined ? { sessionId: parsed.user } : {}),
    };
    const f = new Flight(view, kind, path, body, raw, parsed, res, strategy);
    flights.set(view.id, f);
    res.on('close', () => {
      if (f.completed) return;
      f.clientGone = true;
      for (const u of f.upstream) u.destroy();
    });
    core.submit(view, strategy);
    if (Number.isNaN(f.dispatchedAt) && !f.completed) {
      // Still in the router queue. The routing library cannot take one request out of its queue,
      // so the client is answered and the request is released as soon as it is dispatched.
      const timer = setTimeout(() => {
        if (!Number.isNaN(f.dispatchedAt) || f.completed || f.clientGone) return;
        answerError(f, 504, `waited ${cfg.limits.queueTimeoutMs} ms in the router queue`, {}, true);
        f.timedOut = true;
        f.clientGone = true;
      }, cfg.limits.queueTimeoutMs);
      res.on('close', () => clearTimeout(timer));
    }
  }

  /** Host callbacks run outside the routing call that made them, so no call nests in another. */
  function later(fn: () => void): void {
    queueMicrotask(fn);
  }

  function dispatchUnified(view: RequestView, ep: LiveEndpoint): void {
    const f = flights.get(view.id);
    if (!f || f.clientGone) {
      finish(f, view, ep, undefined, 499);
      return;
    }
    f.dispatchedAt = clock();
    ep.promptTokensSinceScrape += view.promptTokens;
    upstream.stream(f, ep, f.rawBody, {
      headers: { 'target-pod': ep.id, 'target-pod-ip': ep.address, 'routing-strategy': f.strategy },
      onFirstToken: () => core.firstToken(view, ep, f.strategy),
      onEnd: (status) => finish(f, view, ep, undefined, status),
      onFail: (reason, retryable) => failed(f, view, ep, reason, retryable),
    });
  }

  function dispatchPd(view: RequestView, p: LiveEndpoint, d: LiveEndpoint, info: PdDispatchInfo): void {
    const f = flights.get(view.id);
    if (!f || f.clientGone) {
      finish(f, view, d, p, 499);
      return;
    }
    f.dispatchedAt = clock();
    p.promptTokensSinceScrape += view.promptTokens;
    const headers = { 'target-pod': d.id, 'target-pod-ip': d.address, 'routing-strategy': core.defaultStrategy, 'prefill-target-pod': p.id };
    const markPrefillDone = () => {
      if (f.prefillDone || f.completed) return;
      f.prefillDone = true;
      core.prefillDone(view, p);
    };
    if (!info.disaggregated || p === d) {
      upstream.stream(f, d, f.rawBody, {
        headers,
        onFirstToken: markPrefillDone,
        onEnd: (status) => finish(f, view, d, p, status),
        onFail: (reason) => failed(f, view, d, reason, false),
      });
      return;
    }
    // SGLang's bootstrap fields go in both bodies; the prefill is cut to one token and not streamed
    // (AIBrix e3e10f9e pkg/plugins/gateway/algorithms/pd/prefill/payload.go: max_tokens 1,
    // max_completion_tokens 1, stream false, no stream_options, no min_tokens).
    const bootstrap = { bootstrap_host: new URL(p.spec.url).hostname, bootstrap_port: p.spec.bootstrapPort, bootstrap_room: info.bootstrapRoom };
    const prefillBody: Record<string, unknown> = { ...f.body, ...bootstrap, max_tokens: 1, max_completion_tokens: 1, stream: false };
    delete prefillBody.stream_options;
    delete prefillBody.min_tokens;
    const decode = (kvParams: unknown) => {
      const body = { ...f.body, ...bootstrap, ...(kvParams !== undefined && { kv_transfer_params: kvParams }) };
      d.promptTokensSinceScrape += view.promptTokens;
      upstream.stream(f, d, JSON.stringify(body), {
        headers,
        onFirstToken: markPrefillDone,
        onEnd: (status) => finish(f, view, d, p, status),
        onFail: (reason) => failed(f, view, d, reason, false),
      });
    };
    const concurrent = cfg.pd.forwarding === 'concurrent';
    upstream.postJson(f, p, JSON.stringify(prefillBody)).then(
      (answer) => {
        if (f.completed) return;
        markPrefillDone();
        if (!concurrent) decode((answer as { kv_transfer_params?: unknown } | undefined)?.kv_transfer_params);
      },
      (err: Error) => {
        if (f.completed) return;
        failed(f, view, d, `prefill on ${p.id} failed: ${err.message}`, false);
      },
    );
    if (concurrent) decode(undefined);
  }

  function failed(f: Flight, view: RequestView, decode: LiveEndpoint, reason: string, retryable: boolean): void {
    if (f.completed) return;
    if (retryable && !f.clientGone && f.retries < cfg.limits.retries && !core.isPd) {
      // Nothing reached the client: release this dispatch and route the request again, as a new
      // request id (the routing library sees each attempt once). The failed endpoint is out of rotation.
      f.retries++;
      release(view, decode, undefined);
      const again: RequestView = { ...view, id: nextId++ };
      flights.delete(view.id);
      f.view = again;
      f.upstream = [];
      f.tokens = 0;
      f.itls.length = 0;
      flights.set(again.id, f);
      core.submit(again, f.strategy);
      return;
    }
    if (!f.answered && !f.clientGone) answerError(f, 502, `upstream failed: ${reason}`, {}, false);
    else f.res.destroy();
    finish(f, view, decode, undefined, f.clientGone ? 499 : 502, reason);
  }

  function release(view: RequestView, ep: EndpointView, info: CompletionInfo | undefined): void {
    core.complete(view, ep, info ?? { outputTokens: 0, ttft: 0, e2e: 0 }, flights.get(view.id)?.strategy);
  }

  /** The request ended (answered, failed or abandoned): counters released once, the record written. */
  function finish(f: Flight | undefined, view: RequestView, decode: LiveEndpoint, prefill: LiveEndpoint | undefined, status: number, error?: string): void {
    if (f?.completed) return;
    const now = clock();
    const outputTokens = f?.usageTokens ?? f?.tokens ?? 0;
    const ttft = f && Number.isFinite(f.firstTokenAt) ? f.firstTokenAt - view.arrival : NaN;
    const e2e = now - view.arrival;
    if (f) f.completed = true;
    flights.delete(view.id);
    core.complete(view, decode, { outputTokens, ttft: Number.isFinite(ttft) ? ttft : e2e, e2e }, f?.strategy);
    if (!f || f.timedOut) return;
    const itls = f.itls;
    stats.record(
      {
        id: view.id,
        endpoint: decode.id,
        ...(prefill && prefill !== decode && { prefill: prefill.id }),
        status,
        stream: f.parsed.stream,
        promptTokens: view.promptTokens,
        outputTokens,
        arrival: view.arrival,
        ttft,
        e2e,
        itlMean: itls.length > 0 ? itls.reduce((a, b) => a + b, 0) / itls.length : NaN,
        itlMax: itls.length > 0 ? itls.reduce((a, b) => (b > a ? b : a), -Infinity) : NaN,
        retries: f.retries,
        ...(error !== undefined && { error }),
      },
      itls,
    );
  }

  /** Answers the client with an error; `record` when no dispatch will be finished for it. */
  function answerError(f: Flight, status: number, message: string, headers: Record<string, string>, record: boolean): void {
    if (f.clientGone) return;
    f.answered = true;
    sendError(f.res, status, message, headers);
    if (record) stats.record(
      { id: f.view.id, endpoint: '', status, stream: f.parsed.stream, promptTokens: f.view.promptTokens, outputTokens: 0, arrival: f.view.arrival, ttft: NaN, e2e: clock() - f.view.arrival, itlMean: NaN, itlMax: NaN, retries: f.retries, error: message },
      [],
    );
  }

  const port = await listen(server, cfg.host, cfg.port);
  if (cfg.log?.requests) stats.openLog(cfg.log.requests, warn);
  if (cfg.log?.decisions) {
    decisionLog = new DecisionLog(
      cfg.log.decisions,
      {
        kind: 'header',
        policy: opts.router.policy.name,
        mode: cfg.router.mode,
        seed: cfg.seed,
        endpoints: endpoints.map((e) => ({ id: e.id, gpuType: e.gpuType, role: e.role, ...(e.group !== undefined && { group: e.group }) })),
      },
      warn,
    );
  }
  await scraper.start();
  markReady();
  const hostPart = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;
  return {
    url: `http://${hostPart}:${port}`,
    port,
    endpoints,
    stats,
    core,
    async close() {
      scraper.stop();
      await closeServer(server);
      agent.destroy();
      await Promise.all([stats.close(), decisionLog?.close()]);
    },
  };
}

function ms(v: number | undefined): number | undefined {
  return v === undefined ? undefined : v / 1000;
}

export function refreshIntervals(cfg: GatewayConfig): RefreshIntervals {
  const r = cfg.router.refreshMs ?? {};
  const def = r.default ?? DEFAULT_REFRESH_MS;
  return Object.fromEntries(SIGNALS.map((s) => [s, (r[s] ?? def) / 1000])) as RefreshIntervals;
}
