import { Column } from './column.js';
import { ClassGaps } from './class-gaps.js';
import { GapPool } from './gap-pool.js';
import type { RequestOutcome } from './outcome.js';
import { hasTargets, meetsSlo, type SloSpec, type SloTargets } from './slo.js';
import { LogSketch } from './log-sketch.js';
import { describe, describeSorted, percentileOf, quantile, quantileGrid, scale, sortedFinite, type Distribution } from './stats.js';

/**
 * Completed requests summarized exactly (every value kept, 11 numbers a request). Beyond this the
 * collector switches to streaming sketches (LogSketch, relative error 0.5 %) and keeps no
 * per-request data: memory stays flat however long the run. See docs/metrics.md.
 */
export const EXACT_SUMMARY_LIMIT = 1 << 20;

/** Everything measured about one completed request. Times are seconds from the start of the run. */
export interface CompletedRequest {
  classIndex: number;
  instanceIndex: number;
  arrival: number;
  /** When the gateway sent it to an instance (after any router-side queueing). */
  dispatched: number;
  /** When it reached the instance's queue. */
  enqueued: number;
  /** When the instance first scheduled it. */
  firstScheduled: number;
  firstToken: number;
  finished: number;
  promptTokens: number;
  outputTokens: number;
  cachedTokens: number;
  preemptions: number;
}

/** Where a disaggregated request's time to first token went, seconds. */
export interface PdTimes {
  /** Index of the prefill instance (the decode instance is CompletedRequest.instanceIndex). */
  prefillIndex: number;
  /** Waiting in the prefill instance's queue. */
  prefillQueue: number;
  /** From first scheduling to the end of the prompt on the prefill instance. */
  prefillCompute: number;
  /** Waiting for KV blocks on the decode instance. */
  kvWait: number;
  /** Moving the KV over the P->D link. */
  transfer: number;
  /** From the KV's arrival to a batch slot on the decode instance (the client's first token). */
  decodeWait: number;
}

/** What the summary needs to know about each instance. */
export interface InstanceInfo {
  id: string;
  gpuType: string;
  role: string;
  busyTime: number;
  preemptions: number;
  promptTokensComputed: number;
  tokensGenerated: number;
  /** Prefills done for disaggregated requests (prefill instances). */
  prefills?: number;
  /** Data-parallel ranks; busyTime is summed over them. */
  ranks?: number;
}

/**
 * Why rejected requests were not served, in the order reports show them: the profiles said no
 * endpoint could meet the SLO; the gateway timeout passed; still queued when the run ended; too
 * long for any server; anything else.
 */
export const REJECTION_KINDS = ['slo-infeasible', 'timed-out', 'never-dispatchable', 'too-long', 'other'] as const;
export type RejectionKind = (typeof REJECTION_KINDS)[number];

export interface ClassSummary {
  completed: number;
  rejected: number;
  slo_attainment: number | null;
  ttft_ms: Distribution;
  tpot_ms: Distribution;
  e2e_ms: Distribution;
  /** The class's inter-token gaps, pooled as the run's itl_ms (absent in results written before it existed). */
  itl_ms?: Distribution;
}

export interface RunMetrics {
  ttft_ms: Distribution;
  tpot_ms: Distribution;
  e2e_ms: Distribution;
  /** Per-token latency E2E / (prompt + output tokens) (AIBrix's TPAT). */
  tpat_ms: Distribution;
  /** Arrival to first scheduling (router queue + instance queue). */
  queue_ms: Distribution;
  router_queue_ms: Distribution;
  instance_queue_ms: Distribution;
  throughput_rps: number;
  output_tokens_per_s: number;
  slo_attainment: number | null;
  /** Share of requests meeting the TTFT target alone, and the TPOT target alone (null when not set). */
  slo_attainment_ttft: number | null;
  slo_attainment_tpot: number | null;
  goodput_rps: number | null;
  preemptions: number;
  prefix_cache_hit_rate: number;
  /** Inter-token latency: every gap between consecutive output tokens of every request, pooled. */
  itl_ms: Distribution;
  /** Prompt and output tokens of the completed requests. */
  input_tokens: number;
  output_tokens: number;
  /** Prompt tokens, and prompt + output tokens, of completed requests per second of the run. */
  input_tokens_per_s: number;
  total_tokens_per_s: number;
  /** Share of requests meeting the E2E target alone, and the TPAT target alone (null when not set). */
  slo_attainment_e2e: number | null;
  slo_attainment_tpat: number | null;
}

export interface RunSummary {
  completed: number;
  rejected: number;
  rejections: Record<string, number>;
  /** Rejected requests by kind (every kind present, 0 when none). */
  rejections_by_kind: Record<RejectionKind, number>;
  /** From the first arrival to the last completion, seconds. */
  duration_s: number;
  metrics: RunMetrics;
  /** The run's latencies at the SLO percentile, and whether each meets its target. */
  slo: null | {
    percentile: number;
    targets_ms: { ttft?: number; tpot?: number; e2e?: number; tpat?: number };
    at_percentile_ms: { ttft: number; tpot: number; e2e: number; tpat: number };
    met: { ttft?: boolean; tpot?: boolean; e2e?: boolean; tpat?: boolean };
  };
  classes: Record<string, ClassSummary>;
  /** Disaggregated requests: the parts of their time to first token. Null when none ran. */
  pd: null | {
    requests: number;
    prefill_queue_ms: Distribution;
    prefill_compute_ms: Distribution;
    kv_wait_ms: Distribution;
    transfer_ms: Distribution;
    decode_wait_ms: Distribution;
  };
  /** Mean utilization of the instances of each role. */
  utilization_by_role: Record<string, number>;
  instances: {
    id: string;
    gpu: string;
    role: string;
    served: number;
    served_by_class: Record<string, number>;
    utilization: number;
    preemptions: number;
    prefills: number;
  }[];
  gpu_types: Record<string, { served_by_class: Record<string, number>; tpot_ms: Distribution; ttft_ms: Distribution }>;
  /** 101 quantiles (p0, p1, ..., p100) of TTFT and TPOT in ms, for CDF plots without per-request data. */
  cdf: { ttft_ms: number[]; tpot_ms: number[]; tpat_ms: number[] };
}

/**
 * Collects per-request measurements into compact columns and summarizes them at the end.
 * Memory is a few numbers per request, with no per-request objects kept.
 */
export class MetricsCollector {
  private readonly ttft = new Column();
  private readonly tpot = new Column();
  private readonly e2e = new Column();
  private readonly tpat = new Column();
  private readonly routerQueue = new Column();
  private readonly instanceQueue = new Column();
  private readonly classOf = new Column();
  private readonly instanceOf = new Column();
  private readonly met: Column;
  /** Inter-token gaps, fed per step by the servers (see GapPool). */
  readonly itl = new GapPool();
  /** Over completed requests: Σ (last token − first token) and Σ (output − 1), the gaps' sum and count. */
  private decodeSpan = 0;
  private gapCount = 0;
  /** The same per class, and the per-class gaps (kept only with several classes). */
  private readonly classDecodeSpan: number[];
  private readonly classGapCount: number[];
  readonly classGaps: ClassGaps;
  /**
   * Requests judged against each SLO, and those that met it. Only classes with that target count
   * (a class without targets neither meets nor misses); rejections count as misses.
   */
  private readonly judged = { all: 0, ttft: 0, tpot: 0, e2e: 0, tpat: 0 };
  private readonly passed = { ttft: 0, tpot: 0, e2e: 0, tpat: 0 };
  private readonly pdCols = {
    prefillQueue: new Column(16),
    prefillCompute: new Column(16),
    kvWait: new Column(16),
    transfer: new Column(16),
    decodeWait: new Column(16),
  };
  private readonly classTargets: SloTargets[];
  private readonly anySlo: boolean;
  private firstArrival = Infinity;
  private lastFinish = 0;
  private outputTokens = 0;
  private promptTokens = 0;
  private cachedTokens = 0;
  private preemptions = 0;
  private metCount = 0;
  private completed = 0;
  private pdCount = 0;
  private readonly rejectedByClass: number[];
  private readonly rejections = new Map<string, number>();
  private readonly rejectionKinds = REJECTION_KINDS.map(() => 0);

  /** Per-request counts kept in both modes: requests served per (instance, class), SLO met per class. */
  private readonly served: number[][] = [];
  private readonly metByClass: number[];
  private routerQueueNonZero = false;
  /** Streaming mode (after EXACT_SUMMARY_LIMIT completions): the sketches; undefined while exact. */
  private sketches: Sketches | undefined;

  constructor(
    readonly classes: readonly string[],
    readonly slo: SloSpec,
    /** Completions summarized exactly before switching to sketches (for tests; default EXACT_SUMMARY_LIMIT). */
    readonly exactLimit = EXACT_SUMMARY_LIMIT,
  ) {
    this.classTargets = classes.map((c) => ({ ...slo.targets, ...slo.perClass[c] }));
    this.anySlo = this.classTargets.some(hasTargets);
    this.met = new Column();
    this.rejectedByClass = classes.map(() => 0);
    this.metByClass = classes.map(() => 0);
    this.classDecodeSpan = classes.map(() => 0);
    this.classGapCount = classes.map(() => 0);
    this.classGaps = new ClassGaps(classes.length, classes.length > 1);
  }

  noteArrival(t: number): void {
    if (t < this.firstArrival) this.firstArrival = t;
  }

  private readonly scratch: CompletedRequest = {
    classIndex: 0, instanceIndex: 0, arrival: 0, dispatched: 0, enqueued: 0, firstScheduled: 0,
    firstToken: 0, finished: 0, promptTokens: 0, outputTokens: 0, cachedTokens: 0, preemptions: 0,
  };
  private readonly scratchPd: PdTimes = { prefillIndex: 0, prefillQueue: 0, prefillCompute: 0, kvWait: 0, transfer: 0, decodeWait: 0 };

  /** One request's outcome record: a completion, or a rejection (with its reason and kind). */
  record(o: RequestOutcome): void {
    if (o.rejection) {
      this.recordRejection(o.classIndex, o.rejection.reason, o.rejection.kind);
      return;
    }
    const r = this.scratch;
    r.classIndex = o.classIndex;
    r.instanceIndex = o.instanceIndex;
    r.arrival = o.arrival;
    r.dispatched = o.dispatched;
    r.enqueued = o.enqueued;
    r.firstScheduled = o.firstScheduled;
    r.firstToken = o.firstToken;
    r.finished = o.finished;
    r.promptTokens = o.promptTokens;
    r.outputTokens = o.outputTokens;
    r.cachedTokens = o.cachedTokens;
    r.preemptions = o.preemptions;
    this.classGaps.add(o.classIndex, o.gapLog, o.gapCount);
    this.recordCompletion(r, o.prefillInstanceIndex >= 0 ? pdTimes(o, this.scratchPd) : undefined);
  }

  recordCompletion(r: CompletedRequest, pd?: PdTimes): void {
    const ttft = r.firstToken - r.arrival;
    const e2e = r.finished - r.arrival;
    const tpot = r.outputTokens > 1 ? (e2e - ttft) / (r.outputTokens - 1) : NaN;
    const tpat = e2e / (r.promptTokens + r.outputTokens);
    const routerQueue = r.dispatched - r.arrival;
    const instanceQueue = r.firstScheduled - r.enqueued;
    if (this.completed === this.exactLimit) this.spill();
    this.completed++;
    const sk = this.sketches;
    if (sk) {
      // One logarithm per value, shared by the overall, per-class and per-instance sketches.
      const kTtft = sk.ttft.keyOf(ttft);
      const kTpot = sk.tpot.keyOf(tpot);
      const kE2e = sk.e2e.keyOf(e2e);
      sk.ttft.addKeyed(ttft, kTtft);
      sk.tpot.addKeyed(tpot, kTpot);
      sk.e2e.addKeyed(e2e, kE2e);
      sk.tpat.add(tpat);
      sk.routerQueue.add(routerQueue);
      sk.instanceQueue.add(instanceQueue);
      sk.queue.add(routerQueue + instanceQueue);
      const c = sk.byClass[r.classIndex];
      c.ttft.addKeyed(ttft, kTtft);
      c.tpot.addKeyed(tpot, kTpot);
      c.e2e.addKeyed(e2e, kE2e);
      const inst = sketchesOf(sk.byInstance, r.instanceIndex);
      inst.ttft.addKeyed(ttft, kTtft);
      inst.tpot.addKeyed(tpot, kTpot);
    } else {
      this.ttft.push(ttft);
      this.tpot.push(tpot);
      this.e2e.push(e2e);
      this.tpat.push(tpat);
      this.routerQueue.push(routerQueue);
      this.instanceQueue.push(instanceQueue);
      this.classOf.push(r.classIndex);
      this.instanceOf.push(r.instanceIndex);
    }
    if (routerQueue !== 0) this.routerQueueNonZero = true;
    const row = (this.served[r.instanceIndex] ??= this.classes.map(() => 0));
    row[r.classIndex]++;
    const targets = this.classTargets[r.classIndex];
    const ok = meetsSlo(targets, ttft, tpot, e2e, tpat);
    this.judge(targets);
    if (targets.ttft !== undefined && ttft <= targets.ttft) this.passed.ttft++;
    if (targets.tpot !== undefined && (Number.isNaN(tpot) || tpot <= targets.tpot)) this.passed.tpot++;
    if (targets.e2e !== undefined && e2e <= targets.e2e) this.passed.e2e++;
    if (targets.tpat !== undefined && tpat <= targets.tpat) this.passed.tpat++;
    if (pd) {
      this.pdCount++;
      if (sk) {
        sk.pd.prefillQueue.add(pd.prefillQueue);
        sk.pd.prefillCompute.add(pd.prefillCompute);
        sk.pd.kvWait.add(pd.kvWait);
        sk.pd.transfer.add(pd.transfer);
        sk.pd.decodeWait.add(pd.decodeWait);
      } else {
        const c = this.pdCols;
        c.prefillQueue.push(pd.prefillQueue);
        c.prefillCompute.push(pd.prefillCompute);
        c.kvWait.push(pd.kvWait);
        c.transfer.push(pd.transfer);
        c.decodeWait.push(pd.decodeWait);
      }
    }
    if (ok) this.metByClass[r.classIndex]++;
    if (ok && hasTargets(targets)) this.metCount++;
    if (r.finished > this.lastFinish) this.lastFinish = r.finished;
    this.outputTokens += r.outputTokens;
    this.promptTokens += r.promptTokens;
    this.cachedTokens += r.cachedTokens;
    this.preemptions += r.preemptions;
    if (r.outputTokens > 1) {
      this.decodeSpan += r.finished - r.firstToken;
      this.gapCount += r.outputTokens - 1;
      this.classDecodeSpan[r.classIndex] += r.finished - r.firstToken;
      this.classGapCount[r.classIndex] += r.outputTokens - 1;
    }
  }

  /**
   * ITL over all gaps. The steps fed the pool every gap of a sequence decoding in consecutive
   * steps; the gaps they cannot see (the token recomputed after a preemption, whose gap spans
   * the wait) are the remainder of the requests' known total, each taken at their mean.
   */
  private itlDistribution(): Distribution {
    const missing = this.gapCount - this.itl.count;
    return missing > 0 ? this.itl.distribution((this.decodeSpan - this.itl.sum) / missing, missing) : this.itl.distribution();
  }

  /**
   * ITL of one class, as the run's: the gaps of its requests' decode steps (ClassGaps), the rest
   * of its known total (preempted requests) each at their mean. One class: the run's own.
   */
  private classItl(c: number, runItl: () => Distribution): Distribution {
    if (!this.classGaps.enabled) return runItl();
    const missing = this.classGapCount[c] - this.classGaps.counted[c];
    if (missing <= 0) return this.classGaps.distribution(c);
    return this.classGaps.distribution(c, (this.classDecodeSpan[c] - this.classGaps.countedSum(c)) / missing, missing);
  }

  /** Moves every kept value into sketches and drops the columns (once, at the exact limit). */
  private spill(): void {
    const sk = newSketches(this.classes.length);
    const n = this.completed;
    for (let i = 0; i < n; i++) {
      const ttft = this.ttft.get(i);
      const tpot = this.tpot.get(i);
      const e2e = this.e2e.get(i);
      const rq = this.routerQueue.get(i);
      const iq = this.instanceQueue.get(i);
      sk.ttft.add(ttft);
      sk.tpot.add(tpot);
      sk.e2e.add(e2e);
      sk.tpat.add(this.tpat.get(i));
      sk.routerQueue.add(rq);
      sk.instanceQueue.add(iq);
      sk.queue.add(rq + iq);
      const c = sk.byClass[this.classOf.get(i)];
      c.ttft.add(ttft);
      c.tpot.add(tpot);
      c.e2e.add(e2e);
      const inst = sketchesOf(sk.byInstance, this.instanceOf.get(i));
      inst.ttft.add(ttft);
      inst.tpot.add(tpot);
    }
    const c = this.pdCols;
    for (let i = 0; i < c.transfer.length; i++) {
      sk.pd.prefillQueue.add(c.prefillQueue.get(i));
      sk.pd.prefillCompute.add(c.prefillCompute.get(i));
      sk.pd.kvWait.add(c.kvWait.get(i));
      sk.pd.transfer.add(c.transfer.get(i));
      sk.pd.decodeWait.add(c.decodeWait.get(i));
    }
    for (const col of [this.ttft, this.tpot, this.e2e, this.tpat, this.routerQueue, this.instanceQueue, this.classOf, this.instanceOf, this.met])
      col.clear();
    for (const col of Object.values(c)) col.clear();
    this.sketches = sk;
  }

  recordRejection(classIndex: number, reason: string, kind: RejectionKind = 'other'): void {
    this.rejectedByClass[classIndex]++;
    this.rejectionKinds[REJECTION_KINDS.indexOf(kind)]++;
    this.judge(this.classTargets[classIndex]);
    this.rejections.set(reason, (this.rejections.get(reason) ?? 0) + 1);
  }

  private judge(targets: SloTargets): void {
    if (hasTargets(targets)) this.judged.all++;
    if (targets.ttft !== undefined) this.judged.ttft++;
    if (targets.tpot !== undefined) this.judged.tpot++;
    if (targets.e2e !== undefined) this.judged.e2e++;
    if (targets.tpat !== undefined) this.judged.tpat++;
  }

  get completedCount(): number {
    return this.completed;
  }

  /** Whether the summaries are exact (false once the run passed the exact limit). */
  get exact(): boolean {
    return this.sketches === undefined;
  }

  /** Push mode without queueing at the router: the total queue time is the instance's alone. */
  private routerQueueIsZero(): boolean {
    const v = this.routerQueue.values();
    for (let i = 0; i < v.length; i++) if (v[i] !== 0) return false;
    return true;
  }

  summarize(instances: readonly InstanceInfo[]): RunSummary {
    return this.assemble(instances, this.sketches ? this.sketchParts(instances, this.sketches) : this.exactParts(instances));
  }

  /** The distributions from the kept values (exact). */
  private exactParts(instances: readonly InstanceInfo[]): Parts {
    const completed = this.e2e.length;
    // TTFT and TPOT are sorted once (their CDFs need the full order; the distributions and the
    // SLO percentile read the same copy); every other column is summarized by selection.
    const ttft = sortedFinite(this.ttft.values());
    const tpot = sortedFinite(this.tpot.values());
    const tpat = sortedFinite(this.tpat.values());
    const msSorted = (sorted: Float64Array) => scale(describeSorted(sorted), 1000);
    const ms = (v: Float64Array) => scale(describe(v), 1000);
    const instanceQueue = ms(this.instanceQueue.values());
    const e2eMs = ms(this.e2e.values());
    // With one class (or one GPU type) the subset is the whole column: reuse its sorted copy.
    const whole = new Map<Column, Distribution>([
      [this.ttft, msSorted(ttft)],
      [this.tpot, msSorted(tpot)],
      [this.e2e, e2eMs],
    ]);
    const oneClass = this.classes.length === 1;
    const classes = this.classes.map((_, ci) => {
      const pick = (col: Column) => (oneClass ? col.values() : select(col, this.classOf, ci));
      const dist = (col: Column) => (oneClass ? whole.get(col)! : ms(pick(col)));
      return { ttft: dist(this.ttft), tpot: dist(this.tpot), e2e: dist(this.e2e) };
    });
    const gpuNames = gpuTypeNames(instances);
    const gpuTypes = gpuNames.map((gpu) => {
      const members = membersOf(instances, gpu);
      return {
        tpot: gpuNames.length === 1 ? whole.get(this.tpot)! : ms(selectWhere(this.tpot, this.instanceOf, (k) => members.has(k))),
        ttft: gpuNames.length === 1 ? whole.get(this.ttft)! : ms(selectWhere(this.ttft, this.instanceOf, (k) => members.has(k))),
      };
    });
    const p = this.slo.percentile;
    const pd = this.pdCols;
    return {
      completed,
      ttft: whole.get(this.ttft)!,
      tpot: whole.get(this.tpot)!,
      e2e: e2eMs,
      tpat: msSorted(tpat),
      queue: this.routerQueueIsZero() ? instanceQueue : ms(sum(this.routerQueue.values(), this.instanceQueue.values())),
      routerQueue: ms(this.routerQueue.values()),
      instanceQueue,
      classes,
      gpuTypes,
      at: {
        ttft: quantile(ttft, p / 100) * 1000,
        tpot: quantile(tpot, p / 100) * 1000,
        e2e: percentileOf(this.e2e.values(), p) * 1000,
        tpat: quantile(tpat, p / 100) * 1000,
      },
      pd:
        pd.transfer.length > 0
          ? {
              prefill_queue_ms: ms(pd.prefillQueue.values()),
              prefill_compute_ms: ms(pd.prefillCompute.values()),
              kv_wait_ms: ms(pd.kvWait.values()),
              transfer_ms: ms(pd.transfer.values()),
              decode_wait_ms: ms(pd.decodeWait.values()),
            }
          : null,
      cdf: { ttft_ms: quantileGrid(ttft, 101, 1000), tpot_ms: quantileGrid(tpot, 101, 1000), tpat_ms: quantileGrid(tpat, 101, 1000) },
    };
  }

  /** The distributions from the sketches (streaming mode; percentiles within the sketch's relative error). */
  private sketchParts(instances: readonly InstanceInfo[], sk: Sketches): Parts {
    const p = this.slo.percentile;
    const gpuTypes = gpuTypeNames(instances).map((gpu) => {
      const ttft = new LogSketch();
      const tpot = new LogSketch();
      for (const i of membersOf(instances, gpu)) {
        const s = sk.byInstance[i];
        if (!s) continue;
        ttft.merge(s.ttft);
        tpot.merge(s.tpot);
      }
      return { ttft: sketchMs(ttft), tpot: sketchMs(tpot) };
    });
    const pd = sk.pd;
    return {
      completed: this.completed,
      ttft: sketchMs(sk.ttft),
      tpot: sketchMs(sk.tpot),
      e2e: sketchMs(sk.e2e),
      tpat: sketchMs(sk.tpat),
      queue: sketchMs(sk.queue),
      routerQueue: sketchMs(sk.routerQueue),
      instanceQueue: sketchMs(sk.instanceQueue),
      classes: sk.byClass.map((c) => ({ ttft: sketchMs(c.ttft), tpot: sketchMs(c.tpot), e2e: sketchMs(c.e2e) })),
      gpuTypes,
      at: {
        ttft: sk.ttft.quantile(p / 100) * 1000,
        tpot: sk.tpot.quantile(p / 100) * 1000,
        e2e: sk.e2e.quantile(p / 100) * 1000,
        tpat: sk.tpat.quantile(p / 100) * 1000,
      },
      pd:
        this.pdCount > 0
          ? {
              prefill_queue_ms: sketchMs(pd.prefillQueue),
              prefill_compute_ms: sketchMs(pd.prefillCompute),
              kv_wait_ms: sketchMs(pd.kvWait),
              transfer_ms: sketchMs(pd.transfer),
              decode_wait_ms: sketchMs(pd.decodeWait),
            }
          : null,
      cdf: { ttft_ms: sketchGrid(sk.ttft), tpot_ms: sketchGrid(sk.tpot), tpat_ms: sketchGrid(sk.tpat) },
    };
  }

  private assemble(instances: readonly InstanceInfo[], parts: Parts): RunSummary {
    const completed = parts.completed;
    const rejected = this.rejectedByClass.reduce((a, b) => a + b, 0);
    const duration = completed > 0 ? this.lastFinish - this.firstArrival : 0;
    const classes: Record<string, ClassSummary> = {};
    // The run's ITL sorts every pooled gap: once per summary, also when a single class reuses it.
    let itl: Distribution | undefined;
    const runItl = () => (itl ??= this.itlDistribution());
    this.classes.forEach((name, ci) => {
      const servedHere = this.served.reduce((a, row) => a + (row ? row[ci] : 0), 0);
      const n = this.classes.length === 1 ? completed : servedHere;
      const all = n + this.rejectedByClass[ci];
      classes[name] = {
        completed: n,
        rejected: this.rejectedByClass[ci],
        slo_attainment: hasTargets(this.classTargets[ci]) && all > 0 ? this.metByClass[ci] / all : null,
        ttft_ms: parts.classes[ci].ttft,
        tpot_ms: parts.classes[ci].tpot,
        e2e_ms: parts.classes[ci].e2e,
        itl_ms: scale(this.classItl(ci, runItl), 1000),
      };
    });

    const servedBy = instances.map((_, i) => this.served[i] ?? this.classes.map(() => 0));
    const byClass = (counts: number[]) => Object.fromEntries(this.classes.map((c, i) => [c, counts[i]]));

    const gpuTypes: RunSummary['gpu_types'] = {};
    gpuTypeNames(instances).forEach((gpu, g) => {
      const counts = this.classes.map(() => 0);
      for (const i of membersOf(instances, gpu)) servedBy[i].forEach((n, c) => (counts[c] += n));
      gpuTypes[gpu] = { served_by_class: byClass(counts), tpot_ms: parts.gpuTypes[g].tpot, ttft_ms: parts.gpuTypes[g].ttft };
    });

    const p = this.slo.percentile;
    const t = this.slo.targets;
    const at = parts.at;
    return {
      completed,
      rejected,
      rejections: Object.fromEntries([...this.rejections].sort(([a], [b]) => (a < b ? -1 : 1))),
      rejections_by_kind: Object.fromEntries(REJECTION_KINDS.map((k, i) => [k, this.rejectionKinds[i]])) as Record<RejectionKind, number>,
      duration_s: duration,
      metrics: {
        ttft_ms: parts.ttft,
        tpot_ms: parts.tpot,
        e2e_ms: parts.e2e,
        tpat_ms: parts.tpat,
        queue_ms: parts.queue,
        router_queue_ms: parts.routerQueue,
        instance_queue_ms: parts.instanceQueue,
        throughput_rps: duration > 0 ? completed / duration : 0,
        output_tokens_per_s: duration > 0 ? this.outputTokens / duration : 0,
        slo_attainment: this.judged.all > 0 ? this.metCount / this.judged.all : null,
        slo_attainment_ttft: this.judged.ttft > 0 ? this.passed.ttft / this.judged.ttft : null,
        slo_attainment_tpot: this.judged.tpot > 0 ? this.passed.tpot / this.judged.tpot : null,
        goodput_rps: this.anySlo ? (duration > 0 ? this.metCount / duration : 0) : null,
        preemptions: this.preemptions,
        prefix_cache_hit_rate: this.promptTokens > 0 ? this.cachedTokens / this.promptTokens : 0,
        itl_ms: scale(runItl(), 1000),
        input_tokens: this.promptTokens,
        output_tokens: this.outputTokens,
        input_tokens_per_s: duration > 0 ? this.promptTokens / duration : 0,
        total_tokens_per_s: duration > 0 ? (this.promptTokens + this.outputTokens) / duration : 0,
        slo_attainment_e2e: this.judged.e2e > 0 ? this.passed.e2e / this.judged.e2e : null,
        slo_attainment_tpat: this.judged.tpat > 0 ? this.passed.tpat / this.judged.tpat : null,
      },
      slo: hasTargets(t)
        ? {
            percentile: p,
            targets_ms: mapDefined(t, (x) => x * 1000),
            at_percentile_ms: at,
            met: mapDefined(t, (x, k) => at[k] <= x * 1000),
          }
        : null,
      classes,
      pd: parts.pd ? { requests: this.pdCount, ...parts.pd } : null,
      utilization_by_role: utilizationByRole(instances, duration),
      instances: instances.map((x, i) => ({
        id: x.id,
        gpu: x.gpuType,
        role: x.role,
        served: servedBy[i].reduce((a, b) => a + b, 0),
        served_by_class: byClass(servedBy[i]),
        utilization: utilization(x, duration),
        preemptions: x.preemptions,
        prefills: x.prefills ?? 0,
      })),
      gpu_types: gpuTypes,
      cdf: parts.cdf,
    };
  }
}

/** What summarize computes from the per-request values, exactly or from sketches. */
interface Parts {
  completed: number;
  ttft: Distribution;
  tpot: Distribution;
  e2e: Distribution;
  tpat: Distribution;
  queue: Distribution;
  routerQueue: Distribution;
  instanceQueue: Distribution;
  classes: { ttft: Distribution; tpot: Distribution; e2e: Distribution }[];
  gpuTypes: { ttft: Distribution; tpot: Distribution }[];
  at: { ttft: number; tpot: number; e2e: number; tpat: number };
  pd: null | {
    prefill_queue_ms: Distribution;
    prefill_compute_ms: Distribution;
    kv_wait_ms: Distribution;
    transfer_ms: Distribution;
    decode_wait_ms: Distribution;
  };
  cdf: RunSummary['cdf'];
}

interface Sketches {
  ttft: LogSketch;
  tpot: LogSketch;
  e2e: LogSketch;
  tpat: LogSketch;
  queue: LogSketch;
  routerQueue: LogSketch;
  instanceQueue: LogSketch;
  byClass: { ttft: LogSketch; tpot: LogSketch; e2e: LogSketch }[];
  /** Per instance (merged per GPU type at the end). */
  byInstance: ({ ttft: LogSketch; tpot: LogSketch } | undefined)[];
  pd: { prefillQueue: LogSketch; prefillCompute: LogSketch; kvWait: LogSketch; transfer: LogSketch; decodeWait: LogSketch };
}

function newSketches(classes: number): Sketches {
  const s = () => new LogSketch();
  return {
    ttft: s(),
    tpot: s(),
    e2e: s(),
    tpat: s(),
    queue: s(),
    routerQueue: s(),
    instanceQueue: s(),
    byClass: Array.from({ length: classes }, () => ({ ttft: s(), tpot: s(), e2e: s() })),
    byInstance: [],
    pd: { prefillQueue: s(), prefillCompute: s(), kvWait: s(), transfer: s(), decodeWait: s() },
  };
}

function sketchesOf(list: Sketches['byInstance'], i: number): { ttft: LogSketch; tpot: LogSketch } {
  return (list[i] ??= { ttft: new LogSketch(), tpot: new LogSketch() });
}

/** A sketch's distribution in milliseconds (mean exact, percentiles within the relative error). */
function sketchMs(s: LogSketch): Distribution {
  if (s.count === 0) return { mean: NaN, std: NaN, median: NaN, p50: NaN, p90: NaN, p95: NaN, p99: NaN };
  const mean = s.sum / s.count;
  // Population std from the exact sums (numerically fine at latency magnitudes).
  const std = Math.sqrt(Math.max(0, s.sumSq / s.count - mean * mean));
  const median = s.quantile(0.5);
  return scale({ mean, std, median, p50: median, p90: s.quantile(0.9), p95: s.quantile(0.95), p99: s.quantile(0.99) }, 1000);
}

/** quantileGrid (101 quantiles, ms, 3 decimals) from a sketch. */
function sketchGrid(s: LogSketch): number[] {
  if (s.count === 0) return [];
  const out: number[] = [];
  for (let i = 0; i <= 100; i++) out.push(Math.round(s.quantile(i / 100) * 1000 * 1000) / 1000);
  return out;
}

function gpuTypeNames(instances: readonly InstanceInfo[]): string[] {
  return [...new Set(instances.map((x) => x.gpuType))].sort();
}

function membersOf(instances: readonly InstanceInfo[], gpu: string): Set<number> {
  return new Set(instances.flatMap((x, i) => (x.gpuType === gpu ? [i] : [])));
}

/** Where a disaggregated request's time to first token went, from its outcome record. */
export function pdTimes(o: RequestOutcome, t: PdTimes): PdTimes {
  t.prefillIndex = o.prefillInstanceIndex;
  t.prefillQueue = o.firstScheduled - o.enqueued;
  t.prefillCompute = o.prefillDone - o.firstScheduled;
  // Bootstrapped (SGLang), the KV wait comes before the prefill and the transfer follows it.
  t.kvWait = o.bootstrap ? o.kvReserved - o.dispatched : o.kvReserved - o.prefillDone;
  t.transfer = o.transferDone - (o.bootstrap ? o.prefillDone : o.kvReserved);
  t.decodeWait = o.decodeJoined - o.transferDone;
  return t;
}

function select(col: Column, key: Column, value: number): Float64Array {
  return selectWhere(col, key, (k) => k === value);
}

function selectWhere(col: Column, key: Column, keep: (key: number) => boolean): Float64Array {
  const out = new Column(col.length || 1);
  for (let i = 0; i < col.length; i++) if (keep(key.get(i))) out.push(col.get(i));
  return out.values();
}

function sum(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] + b[i];
  return out;
}

function mapDefined<R>(
  t: SloTargets,
  f: (x: number, k: 'ttft' | 'tpot' | 'e2e' | 'tpat') => R,
): { ttft?: R; tpot?: R; e2e?: R; tpat?: R } {
  const out: { ttft?: R; tpot?: R; e2e?: R; tpat?: R } = {};
  for (const k of ['ttft', 'tpot', 'e2e', 'tpat'] as const) if (t[k] !== undefined) out[k] = f(t[k]!, k);
  return out;
}

/** Busy share of the run; a server with data-parallel ranks reports its ranks' summed busy time. */
function utilization(x: InstanceInfo & { ranks?: number }, duration: number): number {
  return duration > 0 ? Math.min(1, x.busyTime / (x.ranks ?? 1) / duration) : 0;
}

function utilizationByRole(instances: readonly InstanceInfo[], duration: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const role of [...new Set(instances.map((x) => x.role))].sort()) {
    const members = instances.filter((x) => x.role === role);
    out[role] = members.reduce((a, x) => a + utilization(x, duration), 0) / members.length;
  }
  return out;
}

