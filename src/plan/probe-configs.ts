/**
 * The experiment configurations a capacity search simulates: one instance alone, one prefill
 * instance with outputs cut to a token, one decode instance behind enough prefill, a whole fleet.
 * `sim plan` and `sim plan pd-ratio` build their probes here.
 */
import type { ExperimentConfig, FleetEntry } from '../experiment/index.js';
import type { WorkloadConfig } from '../workload/index.js';
import { withTotalRate } from './workload-rate.js';

/** What every probe of one search shares. */
export interface ProbeBase {
  name: string;
  seed: number;
  model: string;
  /** Its rates are replaced by each probe's; its length (duration or requests) is each probe's. */
  workload: WorkloadConfig;
  pd?: ExperimentConfig['pd'];
}

export type Router = ExperimentConfig['router'];

/** A router with the experiment defaults filled in. */
export function router(policy: string, extra: Partial<Router> = {}): Router {
  return { mode: 'push', ...extra, policy };
}

/** Round-robin: with one endpoint (or identical ones and a capacity question) the policy must not matter. */
const SIMPLE = router('round-robin');

/** The workload at total `rate`, mix kept; `outputOne` cuts every output to one token. */
export function probeWorkload(w: WorkloadConfig, rate: number, outputOne = false): WorkloadConfig {
  const workload = withTotalRate(w, rate);
  if (outputOne) for (const s of workload.sources) s.maxOutputTokens = 1;
  return workload;
}

export function fleetConfig(base: ProbeBase, fleet: FleetEntry[], r: Router, rate: number, outputOne = false): ExperimentConfig {
  return {
    name: base.name,
    seed: base.seed,
    model: base.model,
    fleet,
    workload: probeWorkload(base.workload, rate, outputOne),
    router: r,
    pd: base.pd,
    outputs: { requestsCsv: false },
  };
}

/** One instance of `entry` serving everything. */
export function unifiedProbe(base: ProbeBase, entry: FleetEntry, rate: number): ExperimentConfig {
  return fleetConfig(base, [{ ...entry, count: 1, role: 'unified', roleset: undefined }], SIMPLE, rate);
}

/**
 * One prefill GPU run as a plain instance with every output cut to one token: its TTFT is
 * queueing plus prefill, what a prefill instance adds (the transfer and the decode side's
 * admission are not in it).
 */
export function prefillProbe(base: ProbeBase, entry: FleetEntry, rate: number): ExperimentConfig {
  return fleetConfig(base, [{ ...entry, count: 1, role: 'unified', roleset: undefined }], SIMPLE, rate, true);
}

/** One decode instance behind `prefills` instances of `prefill`, routed by `r` (a PD policy). */
export function decodeProbe(base: ProbeBase, prefill: FleetEntry, prefills: number, decode: FleetEntry, r: Router, rate: number): ExperimentConfig {
  return fleetConfig(
    base,
    [
      { ...prefill, count: prefills, role: 'prefill', roleset: undefined },
      { ...decode, count: 1, role: 'decode', roleset: undefined },
    ],
    r,
    rate,
  );
}

/**
 * Prefill instances that keep prefill from being the limit in front of one decode instance at
 * `rate`: each loaded to at most `load` of its capacity, plus one.
 */
export function prefillsInFront(rate: number, prefillCapacity: number, load = 1): number {
  return Math.ceil(rate / (prefillCapacity * load)) + 1;
}
