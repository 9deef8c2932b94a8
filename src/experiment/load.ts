import { dirname, resolve } from 'node:path';
import { parseYamlText, readYamlFile, type YamlInput } from '../yaml-input.js';
import { InputError } from '../input-error.js';
import { experimentSchema, type ExperimentConfig } from './schema.js';
import { checkRequestCount, checkSweepSize } from './limits.js';
import { applyPoint, canonicalJson, expandSweep, parsePath, pointId, RATE_KEY, sweepKeys, type PointValues, type SweepSpec } from './sweep.js';
import { issueMessage, reportedIssue } from '../zod-issue.js';

/** One runnable configuration of an experiment file: its sweep values and the validated config. */
export interface ExperimentPoint {
  id: string;
  values: PointValues;
  config: ExperimentConfig;
}

export interface LoadedExperiment {
  file: string;
  /** Relative paths in the file resolve against this directory. */
  baseDir: string;
  name: string;
  /** The configuration without sweep values applied. */
  base: ExperimentConfig;
  points: ExperimentPoint[];
  /** "field (line N)" for a field path, for error messages. */
  where(path: readonly PropertyKey[]): string;
}

/** Options that change which points a file expands to. */
export interface LoadOptions {
  /** Overrides the file's `replicates:`. */
  replicates?: number;
}

/** The seeds a point runs with: seed, seed+1, ... (one per replicate). */
export function replicateSeeds(seed: number, replicates: number): number[] {
  return Array.from({ length: replicates }, (_, i) => seed + i);
}

/**
 * Reads, validates and expands an experiment file; InputError names the file, field and line.
 * With replicates, every sweep point runs once per seed (seed is then the last, fastest dimension).
 */
export function loadExperiment(file: string, opts: LoadOptions = {}): LoadedExperiment {
  return loadExperimentInput(readYamlFile(file), opts);
}

/** As loadExperiment, from YAML text that would live at `file` (relative paths resolve from there). */
export function loadExperimentText(text: string, file: string, opts: LoadOptions = {}): LoadedExperiment {
  return loadExperimentInput(parseYamlText(text, file), opts);
}

function loadExperimentInput(input: YamlInput, opts: LoadOptions): LoadedExperiment {
  const file = input.file;
  if (input.data === null || typeof input.data !== 'object' || Array.isArray(input.data)) {
    throw new InputError('an experiment file must be a YAML mapping', file);
  }
  const base = input.check(experimentSchema, input.data);
  // Limits and duplicates are checked on the lists, before a single point is built.
  checkSweepSize(base.sweep, file, input.where);
  checkDuplicates(base.sweep, file, input.where);
  const replicates = opts.replicates ?? base.replicates ?? 1;
  if (replicates > 1 && base.sweep?.seed !== undefined) {
    throw new InputError('replicates and a sweep of seed both set the seeds: use one', file, input.where(['replicates']));
  }
  const seeds = replicates > 1 ? replicateSeeds(base.seed, replicates) : undefined;
  const swept = expandSweep(base.sweep, sweepKeys(input.data));
  const expanded = seeds ? swept.flatMap((v) => seeds.map((seed) => ({ ...v, seed }))) : swept;
  const seen = new Map<string, PointValues>();
  const points = expanded.map((values) => {
    const config = checkedConfig(input, applyPoint(input.data, values, file, input.where), values, base.sweep, file);
    checkRequestCount(config.workload, file, input.where);
    // replicates only says how many seeds: a point's id is its own configuration.
    const id = pointId(values, { ...config, sweep: undefined, replicates: undefined });
    const twin = seen.get(id);
    if (twin) {
      throw new InputError(`two sweep points are the same configuration (${canonicalJson(twin)} and ${canonicalJson(values)}): remove one`, file, input.where(['sweep']));
    }
    seen.set(id, values);
    return { id, values, config };
  });
  return { file, baseDir: dirname(resolve(file)), name: base.name, base, points, where: input.where };
}

/**
 * A point's configuration, checked. When the field at fault is one the sweep sets, the error
 * points at the swept value in its list, not at the base value the sweep replaced.
 */
function checkedConfig(input: YamlInput, applied: unknown, values: PointValues, sweep: SweepSpec | undefined, file: string): ExperimentConfig {
  const result = experimentSchema.safeParse(applied);
  if (result.success) return result.data;
  const { issue, path } = reportedIssue(result.error.issues[0]);
  const swept = sweptField(sweep, values, path);
  if (swept) throw new InputError(`${issueMessage(issue)} (swept value ${JSON.stringify(swept.value)} of ${swept.key})`, file, input.where(swept.entry));
  return input.check(experimentSchema, applied);
}

/**
 * Where a point's field is written, for a message: its entry in the sweep when the sweep sets
 * it, else the base file's line.
 */
export function pointFieldWhere(exp: LoadedExperiment, point: ExperimentPoint, path: (string | number)[]): string {
  const swept = sweptField(exp.base.sweep, point.values, path);
  return exp.where(swept ? swept.entry : path);
}

/** Where each swept value of `point` is listed in the file ("sweep.router.policy.1 (line 14)"). */
export function sweptValueWheres(exp: LoadedExperiment, point: ExperimentPoint): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(point.values)) {
    if (key === RATE_KEY) continue;
    const entry = sweepEntry(exp.base.sweep, key, value);
    if (entry) out.push(exp.where(entry));
  }
  return out;
}

/** The swept key that sets `path` (or a field above it), its value and its entry in the sweep. */
function sweptField(sweep: SweepSpec | undefined, values: PointValues, path: readonly PropertyKey[]): { key: string; value: unknown; entry: PropertyKey[] } | undefined {
  const at = path.map(String).join('.');
  for (const [key, value] of Object.entries(values)) {
    if (key === RATE_KEY) continue;
    const set = parsePath(key).map(String).join('.');
    if (at !== set && !at.startsWith(`${set}.`)) continue;
    const entry = sweepEntry(sweep, key, value);
    if (entry) return { key, value, entry };
  }
  return undefined;
}

/** Where in the sweep `value` of `key` is listed: its list, or its zip group. */
function sweepEntry(sweep: SweepSpec | undefined, key: string, value: unknown): PropertyKey[] | undefined {
  const same = (v: unknown) => canonicalJson(v) === canonicalJson(value);
  const list = sweep?.[key] as unknown[] | undefined;
  if (Array.isArray(list) && key !== 'zip') {
    const i = list.findIndex(same);
    if (i >= 0) return ['sweep', key, i];
  }
  const groups = (sweep?.zip ?? []) as Record<string, unknown[]>[];
  for (let g = 0; g < groups.length; g++) {
    const i = groups[g][key]?.findIndex(same) ?? -1;
    if (i >= 0) return ['sweep', 'zip', g, key, i];
  }
  return undefined;
}

/** A value listed twice in one sweep list (or zip group) would make two points with one id. */
function checkDuplicates(sweep: SweepSpec | undefined, file: string, where: (p: PropertyKey[]) => string): void {
  for (const [key, list] of Object.entries(sweep ?? {})) {
    if (list === undefined) continue;
    const groups = key === 'zip' ? (list as Record<string, unknown[]>[]) : [{ [key]: list }];
    groups.forEach((group, g) => {
      const paths = Object.keys(group);
      const n = group[paths[0]]?.length ?? 0;
      const first = new Map<string, number>();
      for (let i = 0; i < n; i++) {
        const k = canonicalJson(paths.map((p) => group[p][i]));
        const j = first.get(k);
        if (j !== undefined) {
          const at = key === 'zip' ? ['sweep', 'zip', g, paths[0], i] : ['sweep', key, i];
          const what = key === 'zip' ? `step ${i} of this zip group repeats step ${j}` : `value ${canonicalJson(list[i])} is listed twice (entries ${j} and ${i})`;
          throw new InputError(`${what}: the two points would be the same; remove one`, file, where(at));
        }
        first.set(k, i);
      }
    });
  }
}
