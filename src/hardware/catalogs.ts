/**
 * The one way to get the GPU and model catalogs: the shipped files under profiles/, each with
 * an optional user file merged over it (entries there add to or replace shipped ones).
 * Experiments, plans and `sim list` all load through here.
 */
import { loadGpuCatalog, type GpuCatalog } from './gpu-catalog.js';
import { loadModelCatalog, type ModelCatalog } from './model-catalog.js';

export interface CatalogFiles {
  /** A user GPU catalog (same layout as profiles/gpus.yaml). */
  gpus?: string;
  /** A user model catalog (same layout as profiles/models.yaml). */
  models?: string;
}

export interface Catalogs {
  gpus: GpuCatalog;
  models: ModelCatalog;
}

export function loadCatalogs(files: CatalogFiles = {}): Catalogs {
  return { gpus: loadGpuCatalog(files.gpus), models: loadModelCatalog(files.models) };
}
