/** The model catalog: architecture facts from profiles/models.yaml plus an optional user file. */
import { join } from 'node:path';
import { z } from 'zod';
import { buildCatalog, type NamedCatalog } from './named-catalog.js';
import { profilesDir } from './profiles-dir.js';
import type { ModelSpec } from './types.js';

const count = z.number().int().positive();

const modelEntrySchema = z
  .strictObject({
    aliases: z.array(z.string().min(1)).optional(),
    layers: count,
    hiddenSize: count,
    heads: count,
    kvHeads: count,
    headDim: count,
    intermediateSize: count,
    vocabSize: count,
    dtypeBytes: z.union([z.literal(1), z.literal(2), z.literal(4)]),
    maxModelLen: count,
    tiedEmbeddings: z.boolean().optional(),
  })
  .refine((m) => m.heads % m.kvHeads === 0, {
    message: 'heads must be a multiple of kvHeads (grouped-query attention)',
    path: ['kvHeads'],
  });

export type ModelCatalog = NamedCatalog<ModelSpec>;

/** Loads profiles/models.yaml, then `extraFile` (entries there add to or replace shipped ones). */
export function loadModelCatalog(extraFile?: string): ModelCatalog {
  const files = [join(profilesDir(), 'models.yaml'), ...(extraFile ? [extraFile] : [])];
  return buildCatalog('model', 'models', files, modelEntrySchema);
}
