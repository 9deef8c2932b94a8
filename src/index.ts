/**
 * routesim: the simulator as a library. Run experiment files or single points from code; the
 * routing library alone is the `routesim/routing` subpath.
 */
export {
  loadExperiment,
  runExperimentFile,
  runPoint,
  preparePoint,
  experimentSchema,
  expandSweep,
  type ExperimentConfig,
  type FleetEntry,
  type LoadedExperiment,
  type ExperimentPoint,
  type PointResult,
  type RunOptions,
  type ExperimentRun,
} from './experiment/index.js';
export type { RunSummary, RunMetrics, ClassSummary, Distribution } from './metrics/index.js';
export { InputError } from './input-error.js';
