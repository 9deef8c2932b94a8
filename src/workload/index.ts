export type { RequestSpec, RequestStream } from './types.js';
export {
  workloadSchema,
  sourceSchema,
  traceSchema,
  arrivalSchema,
  parseWorkloadConfig,
  type WorkloadConfig,
  type WorkloadSourceConfig,
  type TraceConfig,
  type ArrivalConfig,
  type PoolConfig,
  type StageConfig,
  poolSchema,
  fixedSchema,
  stageSchema,
  processOf,
} from './config.js';
export { openWorkload, type OpenWorkloadOptions } from './open-workload.js';
export {
  definitionSchema,
  loadDefinition,
  parseDefinition,
  type WorkloadDefinition,
  type QuantileTableSpec,
} from './definition.js';
export { SHIPPED_WORKLOADS_DIR, shippedDefinitionNames, shippedDefinitionPath } from './shipped.js';
export { PoissonArrivals, GammaArrivals, ConstantArrivals, type ArrivalProcess } from './arrival.js';
export { arrivalProcess, stagedArrivalProcess, IMMEDIATE_ARRIVALS } from './arrival-factory.js';
export { StagedArrivals, ConditionedPoissonArrivals, stageCount, type RateStage } from './staged-arrivals.js';
export { PromptPoolSource, type PromptPoolSpec } from './prompt-pool.js';
export { FixedLengthSource } from './fixed-source.js';
export { ClientGate } from './client-gate.js';
export { gammaVariate, normalVariate } from './gamma.js';
export { QuantileTable } from './quantile-table.js';
export { WeightedChoice } from './weighted-choice.js';
export { hashString53, prefixBlockHashes, namespaceFor, alignBlockHashes } from './prefix-hash.js';
export { DatasetSource, type LengthCaps } from './dataset-source.js';
export { TraceSource, type TraceSourceOptions } from './trace-source.js';
export { TimedSource } from './timed-source.js';
export { ArrivalMerge } from './arrival-merge.js';
export { RatioMix } from './ratio-mix.js';
export { NumberedStream } from './numbered-stream.js';
export { LineReader } from './line-reader.js';
export { CsvTable } from './csv-table.js';
export { NO_PREFIX, DEFAULT_BLOCK_TOKENS } from './request.js';
export { openTrace } from './trace/open-trace.js';
export { MooncakeTraceReader, MOONCAKE_BLOCK_TOKENS } from './trace/mooncake.js';
export { AzureTraceReader } from './trace/azure.js';
export { VidurTraceReader } from './trace/vidur.js';
export { AibrixTraceReader } from './trace/aibrix.js';
export { TRACE_FORMATS, type TraceFormat, type TraceReader, type TraceReaderOptions } from './trace/trace-reader.js';
export * from './derive/index.js';
export { toNumber as decimalNumber } from './token-count.js';
