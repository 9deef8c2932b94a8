import { dirname, resolve } from 'node:path';
import { parseYamlText, readYamlFile, type YamlInput } from '../yaml-input.js';
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

/** Reads, validates and expands an experiment file; InputError names the file, field and line. */
export function loadExperiment(file: string): LoadedExperiment {
  return loadExperimentInput(readYamlFile(file));
}

/** As loadExperiment, from YAML text that would live at `file` (relative paths resolve from there). */
export function loadExperimentText(text: string, file: string): LoadedExperiment {
  return loadExperimentInput(parseYamlText(text, file));
}

function loadExperimentInput(input: YamlInput): LoadedExperiment {
  const file = input.file;
  if (input.data === null || typeof input.data !== 'object' || Array.isArray(input.data)) {
    throw new InputError('an experiment file must be a YAML mapping', file);
  }
  const base = input.check(experimentSchema, input.data);
  const points = expandSweep(base.sweep, sweepKeys(input.data)).map((values) => {
    const config = input.check(experimentSchema, applyPoint(input.data, values, file, input.where));
    return { id: pointId(values, { ...config, sweep: undefined }), values, config };
  });
  return { file, baseDir: dirname(resolve(file)), name: base.name, base, points, where: input.where };
}
