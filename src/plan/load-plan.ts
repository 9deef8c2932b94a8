import { dirname, resolve } from 'node:path';
import type { FleetEntry } from '../experiment/index.js';
import { resolveFleet } from '../experiment/resolve-fleet.js';
import { loadCatalogs } from '../hardware/index.js';
import { readYamlFile } from '../yaml-input.js';
import { InputError } from '../input-error.js';
import { createPdPolicy, createPolicy, hasPdPolicy, knownPdPolicies, RoutingConfigError } from '../routing/index.js';
import { openWorkload } from '../workload/index.js';
import { planSchema, type PlanConfig, type PolicyChoice } from './plan-schema.js';
import { router, type ProbeBase, type Router } from './probe-configs.js';
import { totalRate } from './workload-rate.js';

/** A candidate GPU type, resolved against the catalogs. */
export interface PlanCandidate {
  /** "H100-SXM", or "H100-SXM tp2" when tp > 1. */
  label: string;
  /** Canonical catalog name. */
  gpu: string;
  tp: number;
  /** USD per instance-hour (tp GPUs); undefined when the plan gives none and asks for its own prices. */
  instanceCost: number | undefined;
  min: number;
  max: number;
  /** One instance as a fleet entry (count and role set per use). */
  entry: FleetEntry;
}

export interface LoadedPlan {
  file: string;
  baseDir: string;
  name: string;
  config: PlanConfig;
  candidates: PlanCandidate[];
  aggregated?: { candidates: number[]; maxTypes: number };
  disaggregated?: { prefill: number[]; decode: number[] };
  policies: { aggregated: Router[]; disaggregated: Router[] };
  targets: number[];
  probeBase: ProbeBase;
  where(path: readonly PropertyKey[]): string;
}

const MODULE_PATH = /^\.{0,2}\/|\.(m?js|ts)$/;

/**
 * Reads and checks a plan file. Everything a simulation could trip on (names, a model that does
 * not fit, policies, datasets, prices) is checked here, so bad input fails before the first
 * simulation with one InputError naming the file, the field and its line.
 */
export function loadPlan(file: string): LoadedPlan {
  const input = readYamlFile(file);
  if (input.data === null || typeof input.data !== 'object' || Array.isArray(input.data)) {
    throw new InputError('a plan file must be a YAML mapping', file);
  }
  const config = input.check(planSchema, input.data);
  const baseDir = dirname(resolve(file));
  const fail = (msg: string, path: PropertyKey[]) => new InputError(msg, file, input.where(path));

  const catalogs = loadCatalogs();
  let model;
  try {
    model = catalogs.models.get(config.model);
  } catch (err) {
    throw fail((err as Error).message, ['model']);
  }
  const gpus = catalogs.gpus;

  const candidates = config.candidates.map((c, i): PlanCandidate => {
    let gpu;
    try {
      gpu = gpus.get(c.gpu);
    } catch (err) {
      throw fail((err as Error).message, ['candidates', i, 'gpu']);
    }
    if (c.costPerHour === undefined && config.costs === 'plan') {
      throw fail(`no cost per hour for ${gpu.name}: the plan says costs: plan, so every candidate gives costPerHour (or use costs: catalog for the catalog's example prices)`, ['candidates', i, 'costPerHour']);
    }
    const perGpu = c.costPerHour ?? (config.costs === 'catalog' ? gpu.costPerHour : undefined);
    if (config.objective === 'cost' && !(perGpu !== undefined && perGpu > 0)) {
      throw fail(`no cost for ${gpu.name} (${perGpu === 0 ? 'its price is 0' : 'none given'}): ranking by cost needs a price per GPU-hour; give costPerHour, or rank by objective: gpus`, ['candidates', i, 'costPerHour']);
    }
    const entry: FleetEntry = {
      gpu: gpu.name,
      count: 1,
      tp: c.tp,
      role: 'unified',
      dp: 1,
      engine: c.engine,
      timing: c.timing,
      frontend: c.frontend,
      ...(perGpu !== undefined && { costPerHour: perGpu }),
    };
    // The model must fit, the tp must divide its heads, a timing table must exist: the checks a run does.
    resolveFleet([entry], model, gpus, {
      file,
      baseDir,
      where: (path) => input.where(['candidates', i, ...path.slice(2)]),
    });
    return {
      label: c.tp > 1 ? `${gpu.name} tp${c.tp}` : gpu.name,
      gpu: gpu.name,
      tp: c.tp,
      instanceCost: perGpu === undefined ? undefined : perGpu * c.tp,
      min: c.min,
      max: c.max ?? Infinity,
      entry,
    };
  });

  const pick = (names: string[] | undefined, path: PropertyKey[]): number[] => {
    if (names === undefined) return candidates.map((_, i) => i);
    const out: number[] = [];
    names.forEach((n, j) => {
      let canonical: string;
      try {
        canonical = gpus.get(n).name;
      } catch (err) {
        throw fail((err as Error).message, [...path, j]);
      }
      const found = candidates.flatMap((c, i) => (c.gpu === canonical ? [i] : []));
      if (found.length === 0) throw fail(`${n} is not among the candidates`, [...path, j]);
      for (const i of found) if (!out.includes(i)) out.push(i);
    });
    return out;
  };
  const s = config.shapes;
  const aggregated = s.aggregated && {
    candidates: pick(s.aggregated.gpus, ['shapes', 'aggregated', 'gpus']),
    maxTypes: s.aggregated.mixed ? s.aggregated.maxTypes : 1,
  };
  const disaggregated = s.disaggregated && {
    prefill: pick(s.disaggregated.prefill, ['shapes', 'disaggregated', 'prefill']),
    decode: pick(s.disaggregated.decode, ['shapes', 'disaggregated', 'decode']),
  };

  // Policies for a shape the plan does not search would silently do nothing.
  const given = (input.data as { policies?: Record<string, unknown> }).policies;
  for (const kind of ['aggregated', 'disaggregated'] as const) {
    if (given && typeof given === 'object' && kind in given && !(kind === 'aggregated' ? aggregated : disaggregated)) {
      throw fail(`the plan searches no ${kind} fleets (shapes.${kind} is not set), so these policies would not be used`, ['policies', kind]);
    }
  }
  const policies = {
    aggregated: aggregated ? config.policies.aggregated.map((p, i) => unifiedRouter(p, (m) => fail(m, ['policies', 'aggregated', i]))) : [],
    disaggregated: disaggregated ? config.policies.disaggregated.map((p, i) => pdRouter(p, (m) => fail(m, ['policies', 'disaggregated', i]))) : [],
  };

  const classes = [...new Set(config.workload.sources.map((src) => src.class))];
  config.slo.forEach((t, i) => {
    if (t.class !== undefined && !classes.includes(t.class)) {
      throw fail(`no workload source has class "${t.class}" (classes: ${classes.join(', ')})`, ['slo', i, 'class']);
    }
  });
  const offered = totalRate(config.workload);
  if (offered === undefined) throw fail('a plan varies the request rate, so every workload source needs a rate (or give workload.rate)', ['workload']);
  const targets = config.targetRate === undefined ? [offered] : Array.isArray(config.targetRate) ? config.targetRate : [config.targetRate];
  // Datasets and trace paths: opening the workload reads its definitions.
  openWorkload(config.workload, { seed: config.seed, baseDir, file, where: input.where }).next();

  return {
    file,
    baseDir,
    name: config.name,
    config,
    candidates,
    aggregated,
    disaggregated,
    policies,
    targets,
    probeBase: { name: config.name, seed: config.seed, model: model.name, workload: config.workload, pd: config.pd },
    where: input.where,
  };
}

function asRouter(p: PolicyChoice): Router {
  return typeof p === 'string' ? router(p) : router(p.policy, { mode: p.mode, options: p.options, pullCapacity: p.pullCapacity });
}

function unifiedRouter(p: PolicyChoice, fail: (m: string) => InputError): Router {
  const r = asRouter(p);
  if (MODULE_PATH.test(r.policy)) return r;
  if (hasPdPolicy(r.policy)) throw fail(`"${r.policy}" is a prefill/decode policy: list it under policies.disaggregated`);
  try {
    createPolicy(r.policy, r.options ?? {});
  } catch (err) {
    if (err instanceof RoutingConfigError) throw fail(err.message);
    throw err;
  }
  return r;
}

function pdRouter(p: PolicyChoice, fail: (m: string) => InputError): Router {
  const r = asRouter(p);
  if (!hasPdPolicy(r.policy)) throw fail(`"${r.policy}" is not a prefill/decode policy (known: ${knownPdPolicies().join(', ')})`);
  try {
    createPdPolicy(r.policy, r.options ?? {});
  } catch (err) {
    if (err instanceof RoutingConfigError) throw fail(err.message);
    throw err;
  }
  return r;
}
