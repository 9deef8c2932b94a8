/**
 * The catalogs an experiment sees: the shipped ones with the experiment's own `catalogs:`
 * files (relative to the experiment file) merged over them.
 */
import { isAbsolute, resolve } from 'node:path';
import { existsSync } from 'node:fs';
// The catalogs module itself, not the hardware index: a run should not load the calibration code.
import { loadCatalogs, type Catalogs } from '../hardware/catalogs.js';
import { InputError } from '../input-error.js';
import type { ExperimentConfig } from './schema.js';

export interface CatalogContext {
  file: string;
  baseDir: string;
  where(path: readonly PropertyKey[]): string;
}

export function experimentCatalogs(cfg: Pick<ExperimentConfig, 'catalogs'>, ctx: CatalogContext): Catalogs {
  const path = (key: 'models' | 'gpus'): string | undefined => {
    const given = cfg.catalogs?.[key];
    if (given === undefined) return undefined;
    const full = isAbsolute(given) ? given : resolve(ctx.baseDir, given);
    if (!existsSync(full)) throw new InputError(`catalog file not found: ${full}`, ctx.file, ctx.where(['catalogs', key]));
    return full;
  };
  return loadCatalogs({ models: path('models'), gpus: path('gpus') });
}
