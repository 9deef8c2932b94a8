import { dirname, resolve } from 'node:path';
import { readYamlFile } from '../yaml-input.js';
import { InputError } from '../input-error.js';
import { experimentSchema, type ExperimentConfig } from './schema.js';
import { applyPoint, expandSweep, pointId, sweepKeys, type PointValues } from './sweep.js';

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
  const input = readYamlFile(file);
  if (input.data === null || typeof input.data !== 'object' || Array.isArray(input.data)) {
    throw new InputError('an experiment file must be a YAML mapping', file);
  }
  const base = input.check(experimentSchema, input.data);
  const replicates = opts.replicates ?? base.replicates ?? 1;
  if (replicates > 1 && base.sweep?.seed !== undefined) {
    throw new InputError('replicates and a sweep of seed both set the seeds: use one', file, input.where(['replicates']));
  }
  const seeds = replicates > 1 ? replicateSeeds(base.seed, replicates) : undefined;
  const swept = expandSweep(base.sweep, sweepKeys(input.data));
  const expanded = seeds ? swept.flatMap((v) => seeds.map((seed) => ({ ...v, seed }))) : swept;
  const points = expanded.map((values) => {
    const config = input.check(experimentSchema, applyPoint(input.data, values, file, input.where));
    // replicates only says how many seeds: a point's id is its own configuration.
    return { id: pointId(values, { ...config, sweep: undefined, replicates: undefined }), values, config };
  });
  return { file, baseDir: dirname(resolve(file)), name: base.name, base, points, where: input.where };
}
