import { Cluster, SIGNALS, type InstanceSpec, type RefreshIntervals } from '../cluster/index.js';
import { randomStream } from '../engine/index.js';
import { resolveFleet } from '../experiment/resolve-fleet.js';
import type { FleetEntry } from '../experiment/schema.js';
import { loadCatalogs, type GpuCatalog, type GpuSpec, type ModelSpec } from '../hardware/index.js';
import { InputError } from '../input-error.js';
import { MetricsCollector, type RunSummary, type SloSpec } from '../metrics/index.js';
import { createPolicy, type EndpointRole, type RoutingPolicy } from '../routing/index.js';
import type { EngineConfig } from '../serving/index.js';
import type { RequestSpec, RequestStream } from '../workload/index.js';

/**
 * `count` identical instances of a GPU type serving a model, with vLLM's engine defaults unless
 * given: one fleet entry built by the experiments' fleet builder, so plans and runs agree.
 */
export function instanceSpecs(
  gpu: GpuSpec,
  model: ModelSpec,
  count: number,
  opts: { tp?: number; role?: EndpointRole; engine?: Partial<EngineConfig>; idPrefix?: string } = {},
): InstanceSpec[] {
  const entry: FleetEntry = { gpu: gpu.name, count, tp: opts.tp ?? 1, role: opts.role ?? 'unified', dp: 1, engine: opts.engine };
  const only: GpuCatalog = { get: () => gpu, has: (n) => n === gpu.name, names: () => [gpu.name] };
  let instances: InstanceSpec[];
  try {
    ({ instances } = resolveFleet([entry], model, only, { file: '', baseDir: '.', where: () => '' }));
  } catch (err) {
    // No file to point at here: the caller names the input.
    throw err instanceof InputError ? new InputError(err.message) : err;
  }
  return instances.map((s, i) => ({ ...s, id: `${opts.idPrefix ?? gpu.name}-${i}` }));
}

export function lookupHardware(gpuName: string, modelName: string): { gpu: GpuSpec; model: ModelSpec } {
  const { gpus, models } = loadCatalogs();
  return { gpu: gpus.get(gpuName), model: models.get(modelName) };
}

/** Engine metrics always fresh: planning measures capacity, not the effect of stale signals. */
const LIVE: RefreshIntervals = Object.fromEntries(SIGNALS.map((s) => [s, 0.05])) as RefreshIntervals;

/** Simulates a fleet on a request stream and summarizes the run. */
export function simulateFleet(opts: {
  instances: InstanceSpec[];
  stream: RequestStream;
  classes: string[];
  slo: SloSpec;
  seed: number;
  policy?: RoutingPolicy;
}): RunSummary {
  const collector = new MetricsCollector(opts.classes, opts.slo);
  const cluster = new Cluster({
    instances: opts.instances,
    router: { kind: 'unified', policy: opts.policy ?? createPolicy('least-request') },
    mode: 'push',
    refresh: LIVE,
    random: randomStream(opts.seed, 'router'),
    collector,
    classes: opts.classes,
    warn: () => {},
  });
  cluster.run(opts.stream);
  return collector.summarize(cluster.instanceInfos());
}

/** `count` requests of fixed lengths with Poisson arrivals at `rate`; unique prompts (no shared prefix). */
export function fixedLengthPoisson(opts: {
  rate: number;
  count: number;
  promptTokens: number;
  outputTokens: number;
  seed: number | string;
  workloadClass?: string;
}): RequestStream {
  const random = randomStream(opts.seed, `fixed/${opts.promptTokens}/${opts.outputTokens}/${opts.rate}`);
  let id = 0;
  let t = 0;
  return {
    next(): RequestSpec | undefined {
      if (id >= opts.count) return undefined;
      t += -Math.log(1 - random()) / opts.rate;
      return {
        id: id++,
        arrival: t,
        promptTokens: opts.promptTokens,
        outputTokens: opts.outputTokens,
        workloadClass: opts.workloadClass ?? 'fixed',
        prefixHashes: [],
        hashBlockTokens: 16,
      };
    },
  };
}
