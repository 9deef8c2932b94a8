/** The GPU catalog: datasheet facts from profiles/gpus.yaml plus an optional user file. */
import { join } from 'node:path';
import { z } from 'zod';
import { buildCatalog, type NamedCatalog } from './named-catalog.js';
import { profilesDir } from './profiles-dir.js';
import type { GpuSpec } from './types.js';

const positive = z.number().positive();
const fraction = z.number().gt(0).lte(1);

/** A field that moved from the GPU entry to the fleet entry's engine settings. */
function movedToEngine(field: string) {
  return z
    .unknown()
    .refine((v) => v === undefined, `host time per step is the engine's, not the GPU's: set engine.${field} in the fleet entry`)
    .optional();
}

export const efficiencySchema = z.strictObject({
  mfu: fraction,
  mbu: fraction,
  // Host time per step is the engine's (host-step.ts); an older catalog's field says where it went.
  stepOverheadS: movedToEngine('stepOverheadMs'),
  stepOverheadPerSeqS: movedToEngine('stepOverheadPerSeqUs'),
  source: z.string().min(1),
  elementwiseMbu: fraction.optional(),
  layerOverheadS: z.number().nonnegative().optional(),
  gemmTileTokens: z.number().int().positive().optional(),
  graphLayerOverheadS: z.number().nonnegative().optional(),
  attention: z
    .strictObject({
      fixedS: z.number().nonnegative(),
      perSeqS: z.number().nonnegative(),
      perSeqHeadS: z.number().nonnegative(),
      padTokens: z.number().nonnegative(),
      mbu: fraction,
      prefillMfu: fraction,
      source: z.string().min(1).optional(),
    })
    .optional(),
  allReduce: z
    .strictObject({
      points: z
        .array(z.strictObject({ tp: z.number().int().min(2), latencyS: z.number().nonnegative(), busGBs: positive }))
        .min(1),
      source: z.string().min(1),
    })
    .nullable()
    .optional(),
});

/**
 * A rate or size at least `min`: far below any accelerator's (a unit slip, 1e-3 for 1e3), which
 * would otherwise run with step times of years and report nothing.
 */
const atLeast = (min: number, unit: string) => z.number().min(min, `expected at least ${min} ${unit} (a unit slip?)`);

const gpuEntrySchema = z.strictObject({
  aliases: z.array(z.string().min(1)).optional(),
  bf16Tflops: atLeast(1, 'TFLOPS'),
  fp8Tflops: atLeast(1, 'TFLOPS').optional(),
  memoryGB: atLeast(1, 'GB'),
  memoryBandwidthGBs: atLeast(10, 'GB/s'),
  interconnect: z.strictObject({ kind: z.enum(['nvlink', 'pcie']), bandwidthGBs: atLeast(0.1, 'GB/s') }),
  tdpWatts: positive.optional(),
  l2CacheMB: positive.optional(),
  costPerHour: z.number().nonnegative(),
  efficiency: efficiencySchema.optional(),
  calibration: z
    .strictObject({ status: z.enum(['calibrated', 'serving-fit', 'inferred', 'datasheet']), source: z.string().min(1) })
    .optional(),
});

export type GpuCatalog = NamedCatalog<GpuSpec>;

/** Loads profiles/gpus.yaml, then `extraFile` (entries there add to or replace shipped ones). */
export function loadGpuCatalog(extraFile?: string): GpuCatalog {
  const files = [join(profilesDir(), 'gpus.yaml'), ...(extraFile ? [extraFile] : [])];
  return buildCatalog('GPU', 'gpus', files, gpuEntrySchema);
}
