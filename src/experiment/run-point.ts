import { Cluster, SIGNALS, type RefreshIntervals } from '../cluster/index.js';
import { randomStream } from '../engine/index.js';
import type { GpuCatalog, ModelCatalog, ModelSpec } from '../hardware/index.js';
import { experimentCatalogs } from './experiment-catalogs.js';
import { InputError } from '../input-error.js';
import { MetricsCollector, type RequestOutcome, type RunSummary, type SloSpec } from '../metrics/index.js';
import { createPolicy, loadPolicyModule, RoutingConfigError, type RoutingPolicy } from '../routing/index.js';
import type { RequestStream } from '../workload/index.js';
// The module itself, not the workload index: a run should not load the dataset-deriving code.
import { openWorkload } from '../workload/open-workload.js';
import { pointFieldWhere, type ExperimentPoint, type LoadedExperiment } from './load.js';
import { loadProfiles } from './load-profiles.js';
import { withTranspiledModule } from './typescript-module.js';
import { TimelineCollector, type LatencyTimeline } from './latency-timeline.js';
import { resolveFleet, type ResolvedFleetEntry } from './resolve-fleet.js';
import { policyErrorPath, resolveRouter } from './resolve-router.js';
import type { ExperimentConfig } from './schema.js';
import { isAbsolute, relative, resolve } from 'node:path';

/** The result of one point, as written to results and printed with --json. */
export interface PointResult {
  name: string;
  id: string;
  seed: number;
  /** The swept values ({} when the experiment has no sweep). */
  point: Record<string, unknown>;
  policy: string;
  mode: string;
  fleet: { gpu: string; count: number; tp: number; dp: number; role: string; costPerHour: number }[];
  cost_per_hour: number;
  completed: number;
  rejected: number;
  metrics: RunSummary['metrics'];
  summary: Omit<RunSummary, 'metrics' | 'completed' | 'rejected'>;
  /** P99 latencies per window of arrival time (absent in results written before it existed). */
  timeline?: LatencyTimeline;
  warnings: string[];
}

export interface RunHooks {
  /** The GPU catalog to resolve the fleet in (default: the shipped one); fits try constants through it. */
  gpus?: GpuCatalog;
  /** The model catalog to look the model up in (default: the experiment's); e.g. with an entry made from a run table. */
  models?: ModelCatalog;
  /** The outcome record of every request as it ends (requests.csv, progress); reused, copy to keep. */
  onOutcome?(outcome: RequestOutcome): void;
}

/** Default engine-metric refresh interval, as AIBrix's gateway (AIBIX_POD_METRIC_REFRESH_INTERVAL_MS). */
const DEFAULT_REFRESH_MS = 50;

/** A point with everything resolved and opened, ready to run. */
export interface PreparedPoint {
  cluster: Cluster;
  collector: MetricsCollector;
  stream: RequestStream;
  entries: ResolvedFleetEntry[];
  warnings: string[];
}

/**
 * Resolves a point's names (model, GPUs, policy), builds its fleet and opens its workload. Every
 * bad-input error a run could meet before its first event is raised here, so `sim validate`
 * checks exactly what `sim run` would.
 */
export async function preparePoint(exp: LoadedExperiment, point: ExperimentPoint, hooks: RunHooks = {}): Promise<PreparedPoint> {
  const cfg = point.config;
  const { file, baseDir } = exp;
  // A swept field's error points at its entry in the sweep list, not at the base value it replaced.
  const where = (path: readonly PropertyKey[]) => pointFieldWhere(exp, point, path as (string | number)[]);
  const catalogs = experimentCatalogs(cfg, { file, baseDir, where });
  const model = lookupModel(cfg, file, where, hooks.models ?? catalogs.models);
  const { instances, entries } = resolveFleet(cfg.fleet, model, hooks.gpus ?? catalogs.gpus, { file, baseDir, where });
  const warnings: string[] = [];
  const warn = (m: string) => {
    if (!warnings.includes(m)) warnings.push(m);
  };
  if (!cfg.router.profiles) {
    for (const k of ['profileModel', 'deployments'] as const) {
      if (cfg.router[k] !== undefined) throw new InputError(`router.${k} needs router.profiles`, file, where(['router', k]));
    }
  }
  const profilesPath = cfg.router.profiles;
  const profiles = profilesPath
    ? loadProfiles(
        isAbsolute(profilesPath) ? profilesPath : resolve(baseDir, profilesPath),
        cfg.router.profileModel ?? model.name,
        [...new Set(instances.map((i) => i.gpuType))],
        warn,
        {
          file,
          field: where(['router', 'profiles']),
          deploymentsField: (name) => where(['router', 'deployments', name]),
          // As the experiment names it: results stay the same bytes wherever the files live.
          label: (f) => (isAbsolute(profilesPath) ? f : relative(baseDir, f)),
        },
        cfg.router.deployments,
      )
    : undefined;
  const router = await resolveRouter(
    cfg,
    instances,
    { file, where },
    () => buildPolicy(cfg, exp, where, profiles ? { profiles, model: model.name } : {}),
    profiles,
    model.name,
    warn,
  );
  const classes = [...new Set(cfg.workload.sources.map((s) => s.class))];
  for (const c of Object.keys(cfg.slo?.classes ?? {})) {
    if (!classes.includes(c)) {
      throw new InputError(`no workload source has class "${c}" (classes: ${classes.join(', ')})`, file, where(['slo', 'classes', c]));
    }
  }
  const collector = new MetricsCollector(classes, sloSpec(cfg));
  const cluster = new Cluster({
    instances,
    router,
    mode: cfg.router.mode,
    refresh: refreshIntervals(cfg),
    random: randomStream(cfg.seed, 'router'),
    collector,
    classes,
    warn,
    onOutcome: hooks.onOutcome,
  });
  const stream = openWorkload(cfg.workload, { seed: cfg.seed, baseDir, file, blockTokens: commonBlockTokens(entries), where });
  return { cluster, collector, stream, entries, warnings };
}

/** Runs one point of an experiment to completion. */
export async function runPoint(exp: LoadedExperiment, point: ExperimentPoint, hooks: RunHooks = {}): Promise<PointResult> {
  const cfg = point.config;
  const timeline = new TimelineCollector();
  const { cluster, collector, stream, entries, warnings } = await preparePoint(exp, point, {
    ...hooks,
    onOutcome(o) {
      timeline.onOutcome(o);
      hooks.onOutcome?.(o);
    },
  });
  cluster.run(stream);
  const summary = collector.summarize(cluster.instanceInfos());
  const fleet = entries.map((r) => ({
    gpu: r.gpu.name,
    count: r.entry.count,
    tp: r.entry.tp,
    dp: r.entry.dp,
    role: r.entry.role,
    costPerHour: r.costPerHour,
  }));
  const { metrics, completed, rejected, ...rest } = summary;
  return {
    name: cfg.name,
    id: point.id,
    seed: cfg.seed,
    point: point.values,
    policy: cfg.router.policy,
    mode: cfg.router.mode,
    fleet,
    cost_per_hour: fleet.reduce((a, f) => a + f.count * f.tp * f.dp * f.costPerHour, 0),
    completed,
    rejected,
    metrics,
    summary: rest,
    timeline: timeline.summarize(),
    warnings,
  };
}

/** The block size every engine's blocks are a multiple of (their gcd): prompt pools hash at it. */
function commonBlockTokens(entries: readonly ResolvedFleetEntry[]): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  return entries.reduce((g, e) => gcd(e.engine.blockSize, g), 0);
}

function lookupModel(cfg: ExperimentConfig, file: string, where: (path: readonly PropertyKey[]) => string, models: ModelCatalog): ModelSpec {
  try {
    return models.get(cfg.model);
  } catch (err) {
    throw new InputError((err as Error).message, file, where(['model']));
  }
}

async function buildPolicy(
  cfg: ExperimentConfig,
  exp: LoadedExperiment,
  where: (path: readonly PropertyKey[]) => string,
  injected: Record<string, unknown>,
): Promise<RoutingPolicy> {
  const name = cfg.router.policy;
  const options = { ...cfg.router.options, ...injected };
  try {
    if (/^\.{0,2}\/|\.(m?js|ts)$/.test(name)) {
      const path = isAbsolute(name) ? name : resolve(exp.baseDir, name);
      const factory = path.endsWith('.ts') ? await withTranspiledModule(path, (js) => loadPolicyModule(js, path, name)) : await loadPolicyModule(path, undefined, name);
      return factory(options);
    }
    return createPolicy(name, options);
  } catch (err) {
    if (err instanceof RoutingConfigError) throw new InputError(err.message, exp.file, where(policyErrorPath(err, cfg.router.options)));
    throw err;
  }
}

function sloSpec(cfg: ExperimentConfig): SloSpec {
  const s = cfg.slo;
  const targets = (t: { ttftMs?: number; tpotMs?: number; e2eMs?: number; tpatMs?: number } | undefined) => ({
    ...(t?.ttftMs !== undefined && { ttft: t.ttftMs / 1000 }),
    ...(t?.tpotMs !== undefined && { tpot: t.tpotMs / 1000 }),
    ...(t?.e2eMs !== undefined && { e2e: t.e2eMs / 1000 }),
    ...(t?.tpatMs !== undefined && { tpat: t.tpatMs / 1000 }),
  });
  return {
    targets: targets(s),
    perClass: Object.fromEntries(Object.entries(s?.classes ?? {}).map(([c, t]) => [c, targets(t)])),
    percentile: s?.percentile ?? 99,
  };
}

function refreshIntervals(cfg: ExperimentConfig): RefreshIntervals {
  const r = cfg.router.refreshMs ?? {};
  const def = r.default ?? DEFAULT_REFRESH_MS;
  return Object.fromEntries(SIGNALS.map((s) => [s, (r[s] ?? def) / 1000])) as RefreshIntervals;
}
