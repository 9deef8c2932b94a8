export { readRealRuns, type RealRun, type MeasuredLatency } from './real-run.js';
export { runExperiment, runGpu, catalogModel, modelCandidates, PROMPT_DRIFT_TOKENS, RUN_CLASS } from './run-config.js';
export { runFidelity, experimentFor, experimentYaml, inferredModelsYaml, METRICS, type FidelityReport, type FidelityOptions, type RunResult, type Metric } from './fidelity.js';
export { formatFidelity, formatFidelityMarkdown } from './fidelity-table.js';
export { parseQuotedCsv } from './quoted-csv.js';
export { fitFrontendMs } from './fit-frontend.js';
export { fitConstants, setHostStep, objective, DEFAULT_GRID, type FittedConstants } from './fit.js';
export { inferModel, inferredModelName, type InferredModel } from './run-architecture.js';
export type { RunArchitecture } from './run-columns.js';
