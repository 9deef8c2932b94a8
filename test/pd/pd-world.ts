/**
 * Small prefill/decode worlds with an exact, hand-computable step time, built straight on Cluster,
 * with a probe after every event that checks KV accounting and time.
 */
import { Cluster, SIGNALS, type InstanceSpec, type LinkSpec, type RefreshIntervals } from '../../src/cluster/index.js';
import { randomStream } from '../../src/engine/index.js';
import type { BatchShape, TimingModel } from '../../src/hardware/types.js';
import { MetricsCollector, type CompletedRequest, type PdTimes, type RequestOutcome, type RunSummary, type SloTargets } from '../../src/metrics/index.js';
import { createPdPolicy, type EndpointRole, type PdRoutingPolicy, type RouterMode, type RoutingPolicy } from '../../src/routing/index.js';
import { KvCache, VLLM_DEFAULTS, type EngineConfig } from '../../src/serving/index.js';
import type { RequestSpec } from '../../src/workload/index.js';
import { arrayStream, instancesOf, kvProblem } from '../invariants/world.js';

/** 1 ms per step + 0.01 ms per prefill token + 1 ms per decoding sequence. */
export function stepTime(shape: BatchShape): number {
  return 0.001 + 0.00001 * shape.prefillTokens + 0.001 * shape.decodeSeqs;
}

export const CONFIG: EngineConfig = { ...VLLM_DEFAULTS, enablePrefixCaching: false, maxNumSeqs: 8, maxNumBatchedTokens: 4096 };

export interface PdInstance {
  id: string;
  role: EndpointRole;
  kvTokens?: number;
  config?: Partial<EngineConfig>;
  dp?: number;
  dpDispatch?: string;
  group?: string;
  /** Bytes of KV per prompt token sent over the link (default 1e5). */
  kvBytesPerToken?: number;
}

export interface Ended {
  id: number;
  instance?: string;
  /** Its outcome record (a copy); undefined when rejected. */
  outcome?: RequestOutcome;
  rejection?: string;
  /** The collector's breakdown of a disaggregated request's TTFT, seconds. */
  pd?: PdTimes;
  /** What the collector recorded for it. */
  record?: CompletedRequest;
}

export function request(id: number, arrival: number, promptTokens: number, outputTokens: number): RequestSpec {
  return { id, arrival, promptTokens, outputTokens, workloadClass: 'a', prefixHashes: [], hashBlockTokens: 16, sessionId: undefined };
}

/** SGLang PD with round robin on both sides: deterministic picks in order. */
export const roundRobinPd = (): PdRoutingPolicy => createPdPolicy('sglang-pd', { prefill: 'round_robin', decode: 'round_robin' });

/** 10 GB/s, 1 ms: 1e5 bytes per token makes 100 tokens 1e7 bytes = 1 ms of bandwidth. */
export const LINK: LinkSpec = { bandwidthGBs: 10, latencyS: 0.001 };

export function pdWorld(opts: {
  instances: PdInstance[];
  policy?: PdRoutingPolicy;
  /** A unified router instead (for data-parallel ranks outside PD). */
  unified?: RoutingPolicy;
  mode?: RouterMode;
  link?: (p: string, d: string) => LinkSpec;
  slo?: SloTargets;
}) {
  const collector = new MetricsCollector(['a'], { targets: opts.slo ?? {}, perClass: {}, percentile: 99 });
  const ended: Ended[] = [];
  const violations: string[] = [];
  // The cluster reuses one PdTimes object: copy it as the collector receives it.
  let lastPd: PdTimes | undefined;
  let lastRecord: CompletedRequest | undefined;
  const record = collector.recordCompletion.bind(collector);
  collector.recordCompletion = (r, pd) => {
    lastPd = pd ? { ...pd } : undefined;
    lastRecord = { ...r };
    record(r, pd);
  };
  const timing: TimingModel = { name: 'fake', stepTime };
  const specs: InstanceSpec[] = opts.instances.map((w) => ({
    id: w.id,
    gpuType: w.role === 'prefill' ? 'GP' : 'GD',
    role: w.role,
    group: w.group,
    timing,
    kvCapacityTokens: w.kvTokens ?? 100_000,
    maxModelLen: 100_000,
    config: { ...CONFIG, ...w.config },
    dp: w.dp,
    dpDispatch: w.dpDispatch,
    kvBytesPerToken: w.kvBytesPerToken ?? 1e5,
  }));
  const cluster = new Cluster({
    instances: specs,
    router: opts.unified
      ? { kind: 'unified', policy: opts.unified }
      : { kind: 'pd', policy: opts.policy ?? roundRobinPd(), link: opts.link ?? (() => LINK) },
    mode: opts.mode ?? 'push',
    refresh: Object.fromEntries(SIGNALS.map((s) => [s, 0])) as RefreshIntervals,
    random: randomStream(1, 'router'),
    collector,
    classes: ['a'],
    warn: () => {},
    onOutcome: (o) => {
      const done = !o.rejection;
      const instance = o.instanceIndex >= 0 ? o.instanceId : undefined;
      ended.push({ id: o.id, instance, outcome: done ? { ...o } : undefined, rejection: o.rejection?.reason, pd: done ? lastPd : undefined, record: done ? lastRecord : undefined });
      lastPd = lastRecord = undefined;
    },
  });

  // Probe every event: KV accounting of every rank holds, and time never goes backwards.
  let last = 0;
  let events = 0;
  const sim = cluster.sim;
  const schedule = sim.schedule.bind(sim);
  sim.schedule = (at, handler, payload) =>
    schedule(
      at,
      (p: unknown) => {
        if (++events > 100_000) throw new Error('runaway');
        handler(p);
        if (sim.now < last) violations.push(`time went backwards ${last} -> ${sim.now}`);
        last = sim.now;
        for (const e of cluster.endpoints) {
          for (const inst of instancesOf(e)) {
            const problem = (inst.kv instanceof KvCache ? kvProblem(inst.kv) : inst.kv.checkInvariants() ?? undefined) ?? inst.checkInvariants();
            if (problem && violations.length < 20) violations.push(`t=${sim.now} ${inst.id}: ${problem}`);
            if (inst.running > inst.slots) violations.push(`${inst.id}: running > slots`);
          }
        }
      },
      payload,
    );

  const byId = (id: number): Ended => {
    const hits = ended.filter((e) => e.id === id);
    if (hits.length !== 1) throw new Error(`request ${id} ended ${hits.length} times`);
    return hits[0];
  };
  const endpoint = (id: string) => cluster.endpoints.find((e) => e.id === id)!;
  const run = (reqs: RequestSpec[]) => cluster.run(arrayStream(reqs));
  const summary = (): RunSummary => collector.summarize(cluster.instanceInfos());
  /** Calls `f` at time `t` during the run (schedule before `run`). */
  const at = (t: number, f: () => void) => schedule(t, f);
  return { cluster, collector, ended, violations, byId, endpoint, run, summary, at };
}

/** Each request id ends exactly once, and every one of `n` ids ends. */
export function endedOnce(ended: readonly Ended[], n: number): boolean {
  const ids = ended.map((e) => e.id).sort((a, b) => a - b);
  return ids.length === n && ids.every((id, i) => id === i);
}
