/** Hardware: GPU and model catalogs, derived model quantities, KV capacity and step-time models. */
export type {
  BatchShape,
  CalibrationStatus,
  GpuSpec,
  ModelDerived,
  ModelSpec,
  RooflineEfficiency,
  TimingModel,
} from './types.js';
export { loadGpuCatalog, type GpuCatalog } from './gpu-catalog.js';
export { loadModelCatalog, modelCatalogWith, type ModelCatalog } from './model-catalog.js';
export type { NamedCatalog } from './named-catalog.js';
export { loadCatalogs, type CatalogFiles, type Catalogs } from './catalogs.js';
export { deriveModel } from './model-derived.js';
export { kvCapacityTokens, DEFAULT_MAX_NUM_BATCHED_TOKENS, BYTES_PER_GB } from './kv-capacity.js';
export { createRooflineTiming } from './roofline.js';
export { FITTED_HOST_STEP, type HostStep } from './host-step.js';
export { createTableTiming } from './table-timing.js';
export type { TableSelect } from './timing-table.js';
export { createTimingModel, type TimingModelOptions } from './timing-model.js';
export { timingTableCsv, freshPrefill, decodeStep, type TableGrid } from './table-export.js';
export { calibrateAgainstVidur, calibrateGpu, type CalibrationReport, type CalibrationPoint } from './calibrate.js';
export { formatCalibrationReport, type ReportOptions } from './calibration-report.js';
export { calibrateAgainstMeasurements, formatMeasurementsReport, type MeasurementsReport } from './measurements-calibration.js';
