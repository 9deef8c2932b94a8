import { Simulator, type Random } from '../engine/index.js';
import type { TimingModel } from '../hardware/types.js';
import { blankOutcome, resetOutcome, type InstanceInfo, type MetricsCollector, type RequestOutcome } from '../metrics/index.js';
import {
  createDpDispatcher,
  defaultDecodeHeadroom,
  Gateway,
  PdGateway,
  type EndpointRole,
  type PdDispatchInfo,
  type PdRoutingPolicy,
  type ProfileSet,
  type PullCapacity,
  type RejectionKind,
  type RequestView,
  type RouterMode,
  type RoutingPolicy,
} from '../routing/index.js';
import { DpGroup, Instance, type Engine, type EngineConfig, type InstanceObserver, type Sequence } from '../serving/index.js';
import type { RequestSpec, RequestStream } from '../workload/index.js';
// The module itself, not the workload index: a run should not load the dataset-deriving code.
import { alignBlockHashes } from '../workload/prefix-hash.js';
import { InstanceEndpoint } from './endpoint.js';
import type { FrontendLatency } from './frontend.js';
import { KvLink, type LinkSpec } from './kv-link.js';
import { MetricRefresher, type RefreshIntervals } from './metric-refresher.js';
import { StepGaps } from './step-gaps.js';

/** One server of the fleet, fully resolved (timing model and KV capacity already computed). */
export interface InstanceSpec {
  id: string;
  gpuType: string;
  role: EndpointRole;
  /** Roleset (AIBrix) this server belongs to, for PD pairing inside a group. */
  group?: string;
  /** Node the server sits on (P->D transfers within a node use NVLink). */
  node?: string;
  timing: TimingModel;
  /** KV capacity of one rank, tokens. */
  kvCapacityTokens: number;
  maxModelLen: number;
  config: EngineConfig;
  /** Data-parallel ranks (default 1) and the SGLang method that spreads requests over them. */
  dp?: number;
  dpDispatch?: string;
  /** KV bytes per token of the model (for transfer sizes). */
  kvBytesPerToken?: number;
  /**
   * The API server between the client and the engine: `requestS` from the request reaching the
   * server to the engine queueing it (HTTP, tokenization, hand-off to the engine process);
   * `responseS` from the engine making a token to the client receiving it (detokenization,
   * streaming). Default 0.
   */
  frontend?: FrontendLatency;
}


/** The router in front of the fleet: one policy over unified servers, or a PD policy over prefill and decode servers. */
export type RouterSpec =
  | {
      kind: 'unified';
      policy: RoutingPolicy;
      pullCapacity?: PullCapacity;
      profiles?: ProfileSet;
      model?: string;
      /** Gateway timeout for requests waiting in a router queue, seconds (none when absent). */
      timeoutS?: number;
    }
  | { kind: 'pd'; policy: PdRoutingPolicy; link(prefill: string, decode: string): LinkSpec };

export interface ClusterOptions {
  instances: readonly InstanceSpec[];
  router: RouterSpec;
  mode: RouterMode;
  refresh: RefreshIntervals;
  /** The router's random stream. */
  random: Random;
  collector: MetricsCollector;
  /** Class names, in the collector's order. */
  classes: readonly string[];
  warn(message: string): void;
  /**
   * Called with the outcome record of every request that ends, completed or rejected (requests.csv,
   * progress, timelines); the record is reused, so a reader that keeps it must copy it.
   */
  onOutcome?(outcome: RequestOutcome): void;
}

/** Pull mode PD: KV tokens of output a decode instance must have room for beyond the prompt (the PD gateway's default). */
const DECODE_OUTPUT_ALLOWANCE = 256;

/** A disaggregated request on its way: prompt on `prefill`, KV over the link, decode on `decode`. */
class PdFlight {
  seqPrefill: Sequence | undefined;
  seqDecode: Sequence | undefined;
  dispatchedAt = 0;
  prefillDoneAt = -1;
  reservedAt = -1;
  transferDoneAt = -1;
  /** SGLang bootstrap: the decode side preallocates before the prefill starts. */
  bootstrap = false;
  constructor(
    readonly req: RequestSpec,
    readonly prefill: InstanceEndpoint,
    readonly decode: InstanceEndpoint,
    readonly hint: { bootstrapRoom: number },
  ) {}
}

/**
 * One simulated world: servers behind a gateway, fed by a request stream. Arrivals are pulled
 * from the stream one at a time, so a trace is never held in memory.
 */
export class Cluster {
  readonly sim = new Simulator();
  readonly endpoints: InstanceEndpoint[];
  /** P->D links by "prefill->decode" id, created on first use. */
  readonly links = new Map<string, KvLink>();
  private readonly gateway: Gateway | undefined;
  private readonly pd: PdGateway | undefined;
  private readonly refresher: MetricRefresher;
  private readonly classIndex: Map<string, number>;
  private stream: RequestStream | undefined;
  private inflight = 0;
  private arrivalsDone = false;
  /** Set while the run's leftovers are rejected: they were never dispatchable. */
  private ending = false;
  /** Closed loop: the stream has more to send once a client is free. */
  private awaitingClient = false;
  private readonly completion = { outputTokens: 0, ttft: 0, e2e: 0, failed: false };
  /** The outcome record of the request ending now (one object, refilled per request). */
  private readonly outcome = blankOutcome();
  /** Decode side: disaggregated requests waiting for KV blocks, per decode endpoint, FIFO. */
  private readonly awaitingKv = new Map<InstanceEndpoint, PdFlight[]>();

  constructor(private readonly opts: ClusterOptions) {
    this.endpoints = opts.instances.map((spec, i) => this.buildEndpoint(spec, i));
    this.classIndex = new Map(opts.classes.map((c, i) => [c, i]));
    this.refresher = new MetricRefresher(
      this.sim,
      this.endpoints,
      opts.refresh,
      () => this.active(),
      () => this.gateway?.metricsRefreshed(),
    );
    const sim = this.sim;
    const ctx = { now: () => sim.now, random: opts.random, skipRandom: opts.random.skip, warn: opts.warn };
    const reject = (req: unknown, reason: string, kind?: RejectionKind) =>
      this.reject(req as RequestSpec, reason, undefined, this.ending ? 'never-dispatchable' : (kind ?? 'other'));
    const router = opts.router;
    if (router.kind === 'unified') {
      this.gateway = new Gateway({
        policy: router.policy,
        mode: opts.mode,
        pullCapacity: router.pullCapacity,
        profiles: router.profiles,
        model: router.model,
        timeoutS: router.timeoutS,
        timer: (at, fn, req) => sim.schedule(at, fn as (r: unknown) => void, req),
        endpoints: this.endpoints,
        fixedEndpoints: true,
        ctx,
        dispatch: (req, endpoint) => this.dispatch(req as RequestSpec, endpoint as InstanceEndpoint),
        reject,
      });
    } else {
      this.pd = new PdGateway({
        policy: router.policy,
        mode: opts.mode,
        endpoints: this.endpoints,
        ctx,
        dispatch: (req, p, d, info) => this.dispatchPd(req as RequestSpec, p as InstanceEndpoint, d as InstanceEndpoint, info),
        reject,
        decodeOutputAllowance: DECODE_OUTPUT_ALLOWANCE,
        hasDecodeCapacity: (req, e, pending) => decodeHeadroom(req, e as InstanceEndpoint, pending),
      });
    }
  }

  private buildEndpoint(spec: InstanceSpec, index: number): InstanceEndpoint {
    let endpoint: InstanceEndpoint | undefined;
    const observer: Omit<InstanceObserver, 'onComplete'> = {
      onFirstToken: (seq) => this.onFirstToken(seq),
      onPrefillDone: (seq) => this.onPrefillDone(seq),
      onKvFreed: () => this.retryReservations(endpoint!),
    };
    const dp = spec.dp ?? 1;
    const members = Array.from({ length: dp }, (_, r) => {
      // Each rank logs its decode steps: a completion there names its log (per-class ITL).
      const log = this.opts.collector.classGaps.newLog();
      return new Instance({
        id: dp === 1 ? spec.id : `${spec.id}/dp${r}`,
        sim: this.sim,
        timing: new StepGaps(spec.timing, this.opts.collector.itl, this.opts.collector.classGaps, log),
        config: spec.config,
        kvCapacityTokens: spec.kvCapacityTokens,
        maxModelLen: spec.maxModelLen,
        observer: { ...observer, onComplete: (seq) => this.onComplete(seq, log) },
      });
    });
    let engine: Engine = members[0];
    if (dp > 1) {
      const dispatcher = createDpDispatcher(spec.dpDispatch ?? 'round_robin', this.opts.warn);
      engine = new DpGroup(spec.id, members, (req, loads) => dispatcher.pick(req, loads));
    }
    const kvBlocks = members.reduce((n, m) => n + Math.floor(m.kvCapacityTokens / spec.config.blockSize), 0);
    endpoint = new InstanceEndpoint(index, engine, spec.gpuType, spec.role, spec.group, kvBlocks);
    return endpoint;
  }

  /** What the metrics summary needs to know about each server. */
  instanceInfos(): InstanceInfo[] {
    return this.endpoints.map((e) => ({
      id: e.id,
      gpuType: e.gpuType,
      role: e.role,
      busyTime: e.engine.busyTime,
      preemptions: e.engine.preemptions,
      promptTokensComputed: e.engine.promptTokensComputed,
      tokensGenerated: e.engine.tokensGenerated,
      prefills: e.prefills,
      ranks: e.engine.ranks,
    }));
  }

  /** Runs the stream to the end: every request completes or is rejected. */
  run(stream: RequestStream): void {
    this.stream = stream;
    this.refresher.start();
    this.scheduleNextArrival();
    this.sim.run();
    // Requests left in the router queue can never be dispatched now: no arrival or completion
    // is coming to wake the queue. They end as rejections, as clients whose deadline passed.
    const reason = 'still waiting in the router queue when the run ended (no endpoint ever had capacity for it)';
    this.ending = true;
    this.gateway?.abandonQueued(reason);
    this.pd?.abandonQueued(reason);
    if (this.inflight > 0) {
      // Servers hold requests but none has a step to run and nothing will wake them: a defect.
      const stuck = this.endpoints.filter((e) => e.engine.running + e.engine.queued > 0).map((e) => e.id);
      throw new Error(`simulation stalled at t=${this.sim.now.toFixed(3)} s: ${this.inflight} requests never finished (on ${stuck.join(', ') || 'no server'})`);
    }
  }

  /**
   * Whether anything can still happen: arrivals to come, steps running, transfers under way. (A
   * server with queued work but no step would never wake; the run ends and reports it.)
   */
  private active(): boolean {
    if (!this.arrivalsDone) return true;
    for (const e of this.endpoints) if (e.engine.working) return true;
    for (const link of this.links.values()) if (link.busy) return true;
    return false;
  }

  private readonly arriveFn = (req: RequestSpec) => this.arrive(req);

  private scheduleNextArrival(): void {
    const next = this.stream!.next();
    if (next) this.sim.schedule(Math.max(next.arrival, this.sim.now), this.arriveFn, next);
    else if (this.stream!.waitingForClient) this.awaitingClient = true;
    else this.arrivalsDone = true;
  }

  /** A request ended for its client at `time` (now, or later by the response path): closed-loop clients send again. */
  private clientFree(time: number): void {
    const stream = this.stream;
    if (!stream?.clientFree) return;
    stream.clientFree(time);
    if (this.awaitingClient) {
      this.awaitingClient = false;
      this.scheduleNextArrival();
    }
  }

  private arrive(req: RequestSpec): void {
    this.inflight++;
    this.opts.collector.noteArrival(req.arrival);
    const live = this.refresher.liveSignals;
    if (live.length > 0) this.refresher.refresh(live);
    if (this.opts.mode === 'pull' || this.pd) {
      // A router queue would hold a request that no server can ever take until the end of time.
      const error = this.unservable(req);
      if (error) {
        this.reject(req, error, undefined, 'too-long');
        this.scheduleNextArrival();
        return;
      }
    }
    if (this.gateway) this.gateway.submit(req);
    else this.pd!.submit(req);
    this.scheduleNextArrival();
  }

  /**
   * Why no server can serve `req` (the first one's reason), or null if one can. Under a PD router
   * a decode server and a prefill server must both be able to (a request that only a decode-first
   * policy would keep local is refused too: no prefill server could take it if it did not).
   */
  private unservable(req: RequestSpec): string | null {
    if (!this.pd) return this.noneCanServe(req, undefined);
    return this.noneCanServe(req, 'decode') ?? this.noneCanServe(req, 'prefill');
  }

  private noneCanServe(req: RequestSpec, role: EndpointRole | undefined): string | null {
    let first: string | null = null;
    for (const e of this.endpoints) {
      if (role !== undefined && e.role !== role) continue;
      const error = e.engine.admissionError(req);
      if (error === null) return null;
      first ??= error;
    }
    return first;
  }

  private dispatch(req: RequestSpec, endpoint: InstanceEndpoint): void {
    const error = endpoint.engine.admissionError(req);
    if (error) {
      // The engine answers with an error at once: the gateway sees the request fail (not complete).
      this.fillCompletion(0, NaN, NaN, true);
      this.gateway!.complete(req, endpoint, this.completion);
      this.reject(req, error, endpoint, 'too-long', this.sim.now);
      return;
    }
    // Hashes made at a block size the engine's blocks are no multiple of: re-express them at its own.
    const bs = this.opts.instances[endpoint.index].config.blockSize;
    if (req.prefixHashes.length > 0 && req.hashBlockTokens % bs !== 0) {
      req.prefixHashes = alignBlockHashes(req.prefixHashes, req.hashBlockTokens, bs);
      req.hashBlockTokens = bs;
    }
    const delay = this.opts.instances[endpoint.index].frontend?.requestS ?? 0;
    if (delay > 0) this.sim.schedule(this.sim.now + delay, this.enqueueFn, { req, endpoint });
    else endpoint.engine.enqueue(req, endpoint);
  }

  private readonly enqueueFn = (p: { req: RequestSpec; endpoint: InstanceEndpoint }) => p.endpoint.engine.enqueue(p.req, p.endpoint);

  private dispatchPd(req: RequestSpec, prefill: InstanceEndpoint, decode: InstanceEndpoint, info: PdDispatchInfo): void {
    const flight = new PdFlight(req, prefill, decode, { bootstrapRoom: info.bootstrapRoom });
    flight.dispatchedAt = this.sim.now;
    const error = prefill.engine.admissionError(req) ?? decode.engine.admissionError(req);
    if (error) {
      this.fillCompletion(0, NaN, NaN, true);
      this.pd!.complete(req, decode, this.completion);
      this.reject(req, error, decode, 'too-long', this.sim.now);
      return;
    }
    if (!info.disaggregated || prefill === decode) {
      decode.engine.enqueue(req, flight, flight.hint);
      return;
    }
    if (decode.engine.preallocatesBeforePrefill) {
      // SGLang: the prefill waits in the bootstrap queue until the decode side holds the KV.
      flight.bootstrap = true;
      const waiting = this.awaitingKv.get(decode);
      if (waiting) waiting.push(flight);
      else if (!this.reserveAndSend(flight)) this.awaitingKv.set(decode, [flight]);
      return;
    }
    flight.seqPrefill = prefill.engine.enqueuePrefillOnly(req, flight, flight.hint);
  }

  private onPrefillDone(seq: Sequence): void {
    const flight = seq.owner as PdFlight;
    flight.prefillDoneAt = this.sim.now;
    flight.prefill.prefills++;
    if (flight.bootstrap) {
      // Bootstrapped: the decode side's KV is already held; the transfer starts now.
      this.send(flight);
    } else {
      // Requests already waiting for KV on the decode side go first (an entry is never empty).
      const waiting = this.awaitingKv.get(flight.decode);
      if (waiting) waiting.push(flight);
      else if (!this.reserveAndSend(flight)) this.awaitingKv.set(flight.decode, [flight]);
    }
    // Only now tell the gateway: in pull mode it drains its queue here, and the decode headroom
    // it sees must already count this reservation (it stops counting the prompt as pending).
    this.pd!.prefillDone(flight.req, flight.prefill);
  }

  /**
   * Reserves the decode side's KV and starts the transfer (or, bootstrapping, the prefill); false
   * if the blocks do not fit yet.
   */
  private reserveAndSend(flight: PdFlight): boolean {
    const seq = flight.decode.engine.reserveTransfer(flight.req, flight, flight.hint);
    if (!seq) return false;
    flight.seqDecode = seq;
    flight.reservedAt = this.sim.now;
    if (flight.bootstrap) {
      flight.seqPrefill = flight.prefill.engine.enqueuePrefillOnly(flight.req, flight, flight.hint);
      return true;
    }
    this.send(flight);
    return true;
  }

  private send(flight: PdFlight): void {
    const bytes = (this.opts.instances[flight.prefill.index].kvBytesPerToken ?? 0) * flight.req.promptTokens;
    this.link(flight.prefill, flight.decode).send(bytes, this.transferDoneFn, flight);
  }

  private readonly transferDoneFn = (flight: unknown) => this.transferDone(flight as PdFlight);

  private transferDone(flight: PdFlight): void {
    flight.transferDoneAt = this.sim.now;
    flight.prefill.engine.releaseTransferred(flight.seqPrefill!);
    flight.decode.engine.admitTransferred(flight.seqDecode!);
    // The prefill side's KV is free again: in pull mode a queued request may fit there now.
    this.pd!.capacityChanged();
  }

  /** KV was freed on `endpoint`: start the transfers that were waiting for room there, in order. */
  private retryReservations(endpoint: InstanceEndpoint): void {
    const waiting = this.awaitingKv.get(endpoint);
    if (!waiting) return;
    let n = 0;
    while (n < waiting.length && this.reserveAndSend(waiting[n])) n++;
    if (n === waiting.length) this.awaitingKv.delete(endpoint);
    else if (n > 0) waiting.splice(0, n);
    if (n > 0) this.pd?.capacityChanged();
  }

  private link(prefill: InstanceEndpoint, decode: InstanceEndpoint): KvLink {
    const key = `${prefill.id}->${decode.id}`;
    let link = this.links.get(key);
    if (!link) {
      const router = this.opts.router as Extract<RouterSpec, { kind: 'pd' }>;
      link = new KvLink(this.sim, router.link(prefill.id, decode.id));
      this.links.set(key, link);
    }
    return link;
  }

  private reject(req: RequestSpec, reason: string, instance: InstanceEndpoint | undefined, kind: RejectionKind, dispatched = -1): void {
    this.inflight--;
    const o = this.startOutcome(req);
    o.dispatched = dispatched;
    if (instance) {
      o.instanceIndex = instance.index;
      o.instanceId = instance.id;
    }
    o.rejection = { reason, kind };
    this.endOutcome(o);
    this.clientFree(this.sim.now);
  }

  private startOutcome(req: RequestSpec): RequestOutcome {
    const o = resetOutcome(this.outcome);
    o.id = req.id;
    o.classIndex = this.classOf(req);
    o.className = req.workloadClass;
    o.promptTokens = req.promptTokens;
    o.outputTokens = req.outputTokens;
    o.arrival = req.arrival;
    return o;
  }

  private endOutcome(o: RequestOutcome): void {
    this.opts.collector.record(o);
    this.opts.onOutcome?.(o);
  }

  private onFirstToken(seq: Sequence): void {
    if (this.gateway) {
      this.gateway.firstToken(seq.req as RequestSpec, seq.owner as InstanceEndpoint);
    } else if (seq.owner instanceof PdFlight && seq.owner.seqPrefill === undefined) {
      // A pair that was not disaggregated (prefill = decode): its prefill ends with its first token.
      this.pd!.prefillDone(seq.owner.req, seq.owner.decode);
    }
  }

  private onComplete(seq: Sequence, gapLog: number): void {
    const req = seq.req as RequestSpec;
    const flight = seq.owner instanceof PdFlight ? seq.owner : undefined;
    const endpoint = flight ? flight.decode : (seq.owner as InstanceEndpoint);
    this.inflight--;
    const ttft = seq.firstTokenAt - req.arrival;
    const e2e = seq.finishedAt - req.arrival;
    endpoint.windowCount++;
    endpoint.windowTtftSum += ttft;
    endpoint.queueTimeSum += seq.firstScheduledAt - seq.enqueuedAt;
    endpoint.prefillTimeSum += seq.firstTokenAt - seq.firstScheduledAt;
    endpoint.decodeTimeSum += seq.finishedAt - seq.firstTokenAt;
    endpoint.completedCount++;
    endpoint.completedPromptTokens += req.promptTokens;
    endpoint.completedOutputTokens += req.outputTokens;
    if (req.outputTokens > 1) {
      endpoint.windowTpotCount++;
      endpoint.windowTpotSum += (e2e - ttft) / (req.outputTokens - 1);
    }
    // Disaggregated: the prompt's queue, scheduling and cache hits happened on the prefill side.
    const p = flight?.seqPrefill;
    // The client sees each token later by the response path, and sent the request earlier by the request path.
    const frontend = this.opts.instances[endpoint.index].frontend;
    const responseS = frontend?.responseS ?? 0;
    const requestS = flight ? 0 : (frontend?.requestS ?? 0);
    const o = this.startOutcome(req);
    o.dispatched = flight ? flight.dispatchedAt : seq.enqueuedAt - requestS;
    o.instanceIndex = endpoint.index;
    o.instanceId = endpoint.id;
    o.enqueued = p ? p.enqueuedAt : seq.enqueuedAt;
    o.firstScheduled = p ? p.firstScheduledAt : seq.firstScheduledAt;
    o.firstToken = seq.firstTokenAt + responseS;
    o.finished = seq.finishedAt + responseS;
    o.clientFirstTokenOffset = responseS;
    o.cachedTokens = p ? p.cachedTokens : seq.cachedTokens;
    o.preemptions = seq.preemptions + (p ? p.preemptions : 0);
    // Not preempted on the decode rank: its gaps are that rank's decode steps since its first token.
    o.gapLog = gapLog;
    o.gapCount = seq.preemptions === 0 && req.outputTokens > 1 ? req.outputTokens - 1 : 0;
    if (p) {
      o.prefillInstanceIndex = flight!.prefill.index;
      o.prefillInstanceId = flight!.prefill.id;
      o.prefillDone = flight!.prefillDoneAt;
      o.kvReserved = flight!.reservedAt;
      o.transferDone = flight!.transferDoneAt;
      o.decodeJoined = flight!.seqDecode!.transferredAt;
      o.bootstrap = flight!.bootstrap;
    }
    this.endOutcome(o);
    this.fillCompletion(req.outputTokens, ttft, e2e);
    if (this.gateway) this.gateway.complete(req, endpoint, this.completion);
    else this.pd!.complete(req, endpoint, this.completion);
    this.clientFree(seq.finishedAt + responseS);
  }

  private fillCompletion(outputTokens: number, ttft: number, e2e: number, failed = false): void {
    const c = this.completion;
    c.outputTokens = outputTokens;
    c.ttft = ttft;
    c.e2e = e2e;
    c.failed = failed;
  }

  private classOf(req: RequestSpec): number {
    return this.classIndex.get(req.workloadClass) ?? 0;
  }
}

/**
 * Pull mode PD: the gateway's decode headroom (free KV less pending prompts covers the prompt
 * plus an output allowance), with the allowance cut to what the server holds at all. Otherwise a
 * request that fits the server but not with the full allowance would never be dispatched and
 * would block the router queue behind it until the end of the run.
 */
function decodeHeadroom(req: RequestView, e: InstanceEndpoint, pending: number): boolean {
  const total = e.engine.kvCapacityTokens;
  const allowance = Math.min(DECODE_OUTPUT_ALLOWANCE, Math.max(0, total - req.promptTokens));
  return defaultDecodeHeadroom(req, e, pending, allowance);
}
