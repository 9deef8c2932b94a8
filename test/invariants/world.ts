/**
 * A small simulated world for property tests: a Cluster of instances with a fake, deterministic
 * timing model, fed from an array of requests, with probes that check the invariants after every
 * event and every step.
 */
import { Cluster, SIGNALS, type InstanceSpec, type RefreshIntervals } from '../../src/cluster/index.js';
import { randomStream } from '../../src/engine/index.js';
import type { BatchShape, TimingModel } from '../../src/hardware/types.js';
import { MetricsCollector, type RequestOutcome, type RunSummary } from '../../src/metrics/index.js';
import { createPolicy, type RouterMode } from '../../src/routing/index.js';
import type { InstanceEndpoint } from '../../src/cluster/index.js';
import { DpGroup, KvCache, type EngineConfig, type Instance } from '../../src/serving/index.js';
import type { RequestSpec, RequestStream } from '../../src/workload/index.js';

export interface WorldRequest {
  arrival: number;
  promptTokens: number;
  outputTokens: number;
  workloadClass: string;
  prefixHashes: readonly number[];
  hashBlockTokens: number;
}

export interface WorldInstance {
  kvCapacityTokens: number;
  maxModelLen: number;
  config: EngineConfig;
}

export interface WorldSpec {
  instances: WorldInstance[];
  requests: WorldRequest[];
  policy: string;
  mode: RouterMode;
  /** Engine-metric refresh interval, seconds (0 = live). */
  refreshS: number;
  seed: number;
}

/** 1 ms + 0.01 ms per token (prefill tokens and one per decoding sequence). */
export function fakeTiming(onStep: (shape: BatchShape) => void): TimingModel {
  return {
    name: 'fake',
    stepTime(shape) {
      onStep(shape);
      return 0.001 + 0.00001 * (shape.prefillTokens + shape.decodeSeqs);
    },
  };
}

export function arrayStream(reqs: readonly RequestSpec[]): RequestStream {
  let i = 0;
  return { next: () => reqs[i++] };
}

export interface Ending {
  id: number;
  kind: 'completed' | 'rejected';
  reason?: string;
  instance?: string;
  /** Its outcome record (a copy). */
  outcome?: RequestOutcome;
}

export interface WorldResult {
  /** The outcome record of every request, as the cluster emitted it (copies). */
  outcomes: RequestOutcome[];
  cluster: Cluster;
  summary: RunSummary;
  requests: RequestSpec[];
  endings: Ending[];
  /** Violations found by the probes (empty when every invariant held). */
  violations: string[];
  steps: number;
  events: number;
}

/** The instances behind an endpoint: the engine itself, or its data-parallel ranks. */
export function instancesOf(e: InstanceEndpoint): Instance[] {
  return (e.engine instanceof DpGroup ? e.engine.rankEngines : [e.engine]) as Instance[];
}

/** The only instance behind an endpoint without data-parallel ranks. */
export function instanceOf(e: InstanceEndpoint): Instance {
  const all = instancesOf(e);
  if (all.length !== 1) throw new Error(`${e.id} has ${all.length} ranks`);
  return all[0];
}

/** Checks a KV pool's accounting; returns a description of what is wrong, or undefined. */
export function kvProblem(kv: KvCache): string | undefined {
  const k = kv as unknown as {
    freeBlocks: number;
    evictableBlocks: number;
    entries: Map<number, { blocks: number; refs: number }>;
  };
  const used = kv.used;
  if (!(used >= 0 && used <= kv.totalBlocks)) return `used ${used} outside [0, ${kv.totalBlocks}]`;
  if (used + kv.available !== kv.totalBlocks) return `used ${used} + available ${kv.available} != total ${kv.totalBlocks}`;
  if (k.freeBlocks < 0 || k.freeBlocks > kv.totalBlocks) return `free blocks ${k.freeBlocks}`;
  if (k.evictableBlocks < 0) return `evictable blocks ${k.evictableBlocks}`;
  let unreferenced = 0;
  let cached = 0;
  for (const e of k.entries.values()) {
    if (e.refs < 0) return `prefix entry with ${e.refs} references`;
    if (e.refs === 0) unreferenced += e.blocks;
    cached += e.blocks;
  }
  if (unreferenced !== k.evictableBlocks) return `evictable ${k.evictableBlocks} != unreferenced cached blocks ${unreferenced}`;
  if (cached > kv.totalBlocks) return `cached blocks ${cached} > total ${kv.totalBlocks}`;
  return undefined;
}

/** Small worlds need a few thousand events; more means the run would never end. */
const MAX_EVENTS = 200_000;

export function runWorld(spec: WorldSpec): WorldResult {
  const violations: string[] = [];
  const note = (m: string) => {
    if (violations.length < 20) violations.push(m);
  };
  let cluster: Cluster | undefined;
  let steps = 0;
  let events = 0;
  let lastTime = 0;

  // Inside the timing model a step is half formed: the engine's own invariants are checked
  // after every event (a formed or landed step), the pool's accounting at both.
  const checkAll = (where: string, engine = where === 'event') => {
    const now = cluster!.sim.now;
    if (now < lastTime) note(`${where}: time went backwards ${lastTime} -> ${now}`);
    lastTime = now;
    for (const e of cluster!.endpoints) {
      const inst = instanceOf(e);
      const p = (inst.kv instanceof KvCache ? kvProblem(inst.kv) : inst.kv.checkInvariants() ?? undefined) ?? (engine ? inst.checkInvariants() : null);
      if (p) note(`${where} t=${now} ${e.id}: ${p}`);
      if (inst.running > inst.slots) note(`${where} ${e.id}: ${inst.running} running > ${inst.slots} slots`);
    }
  };

  const instances: InstanceSpec[] = spec.instances.map((w, i) => ({
    id: `i${i}`,
    gpuType: i % 2 === 0 ? 'G0' : 'G1',
    role: 'unified',
    timing: fakeTiming((shape) => {
      steps++;
      // Called once per step, after the step's KV allocation: the batch must respect the budget.
      const tokens = shape.prefillTokens + shape.decodeSeqs;
      const sg = w.config.kind === 'sglang' ? w.config.sglang : undefined;
      if (!sg && tokens > w.config.maxNumBatchedTokens) note(`step of ${tokens} tokens > budget ${w.config.maxNumBatchedTokens}`);
      // SGLang runs prefill first: decodes join a prefill step only with mixed chunk on.
      if (sg && !sg.enableMixedChunk && shape.prefillTokens > 0 && shape.decodeSeqs > 0) note('SGLang step mixes prefill and decode');
      if (sg && sg.chunkedPrefillSize !== null && shape.prefillTokens > sg.chunkedPrefillSize) note(`prefill of ${shape.prefillTokens} tokens > chunked_prefill_size ${sg.chunkedPrefillSize}`);
      if (tokens <= 0) note('empty step');
      checkAll(`step on i${i}`);
    }),
    kvCapacityTokens: w.kvCapacityTokens,
    maxModelLen: w.maxModelLen,
    config: w.config,
  }));

  const classes = [...new Set(spec.requests.map((r) => r.workloadClass))].sort();
  const collector = new MetricsCollector(classes, { targets: { ttft: 0.05 }, perClass: {}, percentile: 99 });
  const endings: Ending[] = [];
  const outcomes: RequestOutcome[] = [];
  cluster = new Cluster({
    instances,
    router: { kind: 'unified', policy: createPolicy(spec.policy, {}) },
    mode: spec.mode,
    refresh: Object.fromEntries(SIGNALS.map((s) => [s, spec.refreshS])) as RefreshIntervals,
    random: randomStream(spec.seed, 'router'),
    collector,
    classes,
    warn: () => {},
    onOutcome: (o) => {
      const copy = { ...o };
      outcomes.push(copy);
      const instance = o.instanceIndex >= 0 ? o.instanceId : undefined;
      endings.push(
        o.rejection ? { id: o.id, kind: 'rejected', reason: o.rejection.reason, instance } : { id: o.id, kind: 'completed', instance, outcome: copy },
      );
    },
  });

  // Probe every event: wrap the handlers the simulator is given.
  const sim = cluster.sim;
  const schedule = sim.schedule.bind(sim);
  sim.schedule = (at, handler, payload) =>
    schedule(
      at,
      (p: unknown) => {
        if (++events > MAX_EVENTS) throw new Error(`runaway: more than ${MAX_EVENTS} events (a request never ends?)`);
        handler(p);
        checkAll('event');
      },
      payload,
    );

  const requests: RequestSpec[] = spec.requests.map((r, id) => ({ id, sessionId: undefined, ...r }));
  cluster.run(arrayStream(requests));
  const summary = collector.summarize(
    cluster.endpoints.map((e) => ({
      id: e.id,
      gpuType: e.gpuType,
      role: e.role,
      busyTime: e.engine.busyTime,
      preemptions: e.engine.preemptions,
      promptTokensComputed: e.engine.promptTokensComputed,
      tokensGenerated: e.engine.tokensGenerated,
    })),
  );
  return { cluster, summary, requests, endings, outcomes, violations, steps, events };
}
