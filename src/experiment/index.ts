export { experimentSchema, type ExperimentConfig, type FleetEntry } from './schema.js';
export { loadExperiment, loadExperimentText, type LoadedExperiment, type ExperimentPoint } from './load.js';
export { runPoint, preparePoint, type PointResult, type PreparedPoint } from './run-point.js';
export { runExperimentFile, type RunOptions, type ExperimentRun } from './run-experiment.js';
export { ResultsDir, summaryCsv, writeFileAtomic } from './results-dir.js';
export { expandSweep, setPath, parsePath, pointId, canonicalJson } from './sweep.js';
