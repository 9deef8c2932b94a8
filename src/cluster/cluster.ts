import { Simulator, type Random } from '../engine/index.js';
import type { TimingModel } from '../hardware/types.js';
import type { MetricsCollector } from '../metrics/index.js';
import { Gateway, type EndpointRole, type ProfileSet, type PullCapacity, type RouterMode, type RoutingPolicy } from '../routing/index.js';
import { Instance, type EngineConfig, type Sequence } from '../serving/index.js';
import type { RequestSpec, RequestStream } from '../workload/index.js';
import { InstanceEndpoint } from './endpoint.js';
import { MetricRefresher, type RefreshIntervals } from './metric-refresher.js';

/** One instance of the fleet, fully resolved (timing model and KV capacity already computed). */
export interface InstanceSpec {
  id: string;
  gpuType: string;
  role: EndpointRole;
  group?: string;
  timing: TimingModel;
  kvCapacityTokens: number;
  maxModelLen: number;
  config: EngineConfig;
}

export interface ClusterOptions {
  instances: readonly InstanceSpec[];
  policy: RoutingPolicy;
  mode: RouterMode;
  /** Pull mode capacity notion for policies without their own queue. */
  pullCapacity?: PullCapacity;
  /** AIBrix profiles, for pending-load accounting (any policy) and the SLO family. */
  profiles?: ProfileSet;
  model?: string;
  refresh: RefreshIntervals;
  /** The router's random stream. */
  random: Random;
  collector: MetricsCollector;
  /** Class names, in the collector's order. */
  classes: readonly string[];
  warn(message: string): void;
  /** Called for every request that ends, completed or rejected (e.g. to write requests.csv). */
  onRequestEnd?(req: RequestSpec, seq: Sequence | undefined, instance: string | undefined, rejection?: string): void;
}

/**
 * One simulated world: instances behind a gateway, fed by a request stream. Arrivals are pulled
 * from the stream one at a time, so a trace is never held in memory.
 */
export class Cluster {
  readonly sim = new Simulator();
  readonly endpoints: InstanceEndpoint[];
  private readonly gateway: Gateway;
  private readonly refresher: MetricRefresher;
  private readonly classIndex: Map<string, number>;
  private stream: RequestStream | undefined;
  private inflight = 0;
  private arrivalsDone = false;
  private readonly completion = { outputTokens: 0, ttft: 0, e2e: 0 };

  constructor(private readonly opts: ClusterOptions) {
    const observer = {
      onFirstToken: (seq: Sequence) => this.gateway.firstToken(seq.req as RequestSpec, seq.owner as InstanceEndpoint),
      onComplete: (seq: Sequence) => this.onComplete(seq),
    };
    this.endpoints = opts.instances.map((spec, i) => {
      const inst = new Instance({
        id: spec.id,
        sim: this.sim,
        timing: spec.timing,
        config: spec.config,
        kvCapacityTokens: spec.kvCapacityTokens,
        maxModelLen: spec.maxModelLen,
        observer,
      });
      return new InstanceEndpoint(i, inst, spec.gpuType, spec.role, spec.group);
    });
    this.classIndex = new Map(opts.classes.map((c, i) => [c, i]));
    this.refresher = new MetricRefresher(this.sim, this.endpoints, opts.refresh, () => this.active());
    const sim = this.sim;
    this.gateway = new Gateway({
      policy: opts.policy,
      mode: opts.mode,
      endpoints: this.endpoints,
      ctx: { now: () => sim.now, random: opts.random, warn: opts.warn },
      pullCapacity: opts.pullCapacity,
      profiles: opts.profiles,
      model: opts.model,
      dispatch: (req, endpoint) => this.dispatch(req as RequestSpec, endpoint as InstanceEndpoint),
      reject: (req, reason) => this.reject(req as RequestSpec, reason, undefined),
    });
  }

  /** Runs the stream to the end: every request completes or is rejected. */
  run(stream: RequestStream): void {
    this.stream = stream;
    this.refresher.start();
    this.scheduleNextArrival();
    this.sim.run();
    // Requests left in the router queue can never be dispatched now: no arrival or completion
    // is coming to wake the queue. They end as rejections, as clients whose deadline passed.
    if (this.gateway.queued > 0) {
      this.gateway.abandonQueued('still waiting in the router queue when the run ended (no endpoint ever had capacity for it)');
    }
  }

  /** Whether anything can still happen: arrivals to come, or requests that instances are working on. */
  private active(): boolean {
    if (!this.arrivalsDone) return true;
    for (const e of this.endpoints) if (e.instance.running > 0 || e.instance.queued > 0) return true;
    return false;
  }

  private readonly arriveFn = (req: RequestSpec) => this.arrive(req);

  private scheduleNextArrival(): void {
    const next = this.stream!.next();
    if (next) this.sim.schedule(Math.max(next.arrival, this.sim.now), this.arriveFn, next);
    else this.arrivalsDone = true;
  }

  private arrive(req: RequestSpec): void {
    this.inflight++;
    this.opts.collector.noteArrival(req.arrival);
    const live = this.refresher.liveSignals;
    if (live.length > 0) this.refresher.refresh(live);
    if (this.opts.mode === 'pull') {
      // A router queue would hold a request that no instance can ever take until the end of time.
      const error = this.unservable(req);
      if (error) {
        this.reject(req, error, undefined);
        this.scheduleNextArrival();
        return;
      }
    }
    this.gateway.submit(req);
    this.scheduleNextArrival();
  }

  /** Why no instance can serve `req` (the first instance's reason), or null if one can. */
  private unservable(req: RequestSpec): string | null {
    let first: string | null = null;
    for (const e of this.endpoints) {
      const error = e.instance.admissionError(req);
      if (error === null) return null;
      first ??= error;
    }
    return first;
  }

  private dispatch(req: RequestSpec, endpoint: InstanceEndpoint): void {
    const inst = endpoint.instance;
    const error = inst.admissionError(req);
    if (error) {
      // The engine answers with an error at once; the gateway sees the request end.
      this.fillCompletion(0, 0, 0);
      this.gateway.complete(req, endpoint, this.completion);
      this.reject(req, error, endpoint.id);
      return;
    }
    inst.enqueue(req, endpoint);
  }

  private reject(req: RequestSpec, reason: string, instance: string | undefined): void {
    this.inflight--;
    this.opts.collector.recordRejection(this.classOf(req), reason);
    this.opts.onRequestEnd?.(req, undefined, instance, reason);
  }

  private onComplete(seq: Sequence): void {
    const req = seq.req as RequestSpec;
    const endpoint = seq.owner as InstanceEndpoint;
    this.inflight--;
    const ttft = seq.firstTokenAt - req.arrival;
    const e2e = seq.finishedAt - req.arrival;
    endpoint.windowCount++;
    endpoint.windowTtftSum += ttft;
    endpoint.windowQueueSum += seq.firstScheduledAt - seq.enqueuedAt;
    endpoint.windowPrefillSum += seq.firstTokenAt - seq.firstScheduledAt;
    endpoint.windowDecodeSum += seq.finishedAt - seq.firstTokenAt;
    endpoint.completedCount++;
    endpoint.completedPromptTokens += req.promptTokens;
    endpoint.completedOutputTokens += req.outputTokens;
    if (req.outputTokens > 1) {
      endpoint.windowTpotCount++;
      endpoint.windowTpotSum += (e2e - ttft) / (req.outputTokens - 1);
    }
    this.opts.collector.recordCompletion({
      classIndex: this.classOf(req),
      instanceIndex: endpoint.index,
      arrival: req.arrival,
      dispatched: seq.enqueuedAt,
      enqueued: seq.enqueuedAt,
      firstScheduled: seq.firstScheduledAt,
      firstToken: seq.firstTokenAt,
      finished: seq.finishedAt,
      promptTokens: req.promptTokens,
      outputTokens: req.outputTokens,
      cachedTokens: seq.cachedTokens,
      preemptions: seq.preemptions,
    });
    this.opts.onRequestEnd?.(req, seq, endpoint.id);
    this.fillCompletion(req.outputTokens, ttft, e2e);
    this.gateway.complete(req, endpoint, this.completion);
  }

  private fillCompletion(outputTokens: number, ttft: number, e2e: number): void {
    const c = this.completion as { outputTokens: number; ttft: number; e2e: number };
    c.outputTokens = outputTokens;
    c.ttft = ttft;
    c.e2e = e2e;
  }

  private classOf(req: RequestSpec): number {
    return this.classIndex.get(req.workloadClass) ?? 0;
  }
}
