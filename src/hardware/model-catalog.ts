/** The model catalog: architecture facts from profiles/models.yaml plus an optional user file. */
import { join } from 'node:path';
import { z } from 'zod';
import { InputError } from '../input-error.js';
import { buildCatalog, extendCatalog, type NamedCatalog } from './named-catalog.js';
import { profilesDir } from './profiles-dir.js';
import type { ModelSpec } from './types.js';

const count = z.number().int().positive();

const moeSchema = z.strictObject({
  experts: count,
  activeExperts: count,
  expertIntermediateSize: count,
  sharedExperts: z.number().int().nonnegative().optional(),
  sharedExpertIntermediateSize: count.optional(),
  denseLayers: z.number().int().nonnegative().optional(),
});

const mlaSchema = z.strictObject({
  qLoraRank: count.optional(),
  kvLoraRank: count,
  qkNopeHeadDim: count,
  qkRopeHeadDim: count,
  vHeadDim: count,
});

const bytes = z.union([z.literal(1), z.literal(2), z.literal(4)]);

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
    dtypeBytes: bytes,
    kvDtypeBytes: bytes.optional(),
    maxModelLen: count,
    tiedEmbeddings: z.boolean().optional(),
    topPSampling: z.boolean().optional(),
    moe: moeSchema.optional(),
    mla: mlaSchema.optional(),
  })
  .superRefine((m, ctx) => {
    // Both values in the message: the file may set either one (the other inherited by extends).
    if (m.heads % m.kvHeads !== 0) ctx.addIssue({ code: 'custom', message: `heads (${m.heads}) must be a multiple of kvHeads (${m.kvHeads}) (grouped-query attention)`, path: ['kvHeads'] });
  })
  .refine((m) => !m.moe || m.moe.activeExperts <= m.moe.experts, {
    message: 'activeExperts must not exceed experts',
    path: ['moe', 'activeExperts'],
  })
  .refine((m) => !m.moe || (m.moe.denseLayers ?? 0) < m.layers, {
    message: 'denseLayers must be fewer than layers',
    path: ['moe', 'denseLayers'],
  })
  .refine((m) => !m.mla || m.mla.qkNopeHeadDim + m.mla.qkRopeHeadDim === m.headDim, {
    message: 'with mla, headDim must be qkNopeHeadDim + qkRopeHeadDim (the query/key head size)',
    path: ['headDim'],
  });

export type ModelCatalog = NamedCatalog<ModelSpec>;

/** Loads profiles/models.yaml, then `extraFile` (entries there add to or replace shipped ones). */
export function loadModelCatalog(extraFile?: string): ModelCatalog {
  const files = [join(profilesDir(), 'models.yaml'), ...(extraFile ? [extraFile] : [])];
  return buildCatalog('model', 'models', files, modelEntrySchema);
}

/**
 * `base` with entries made in code (e.g. from a run table's architecture columns), checked
 * like file entries; `file` and `where` name where they came from in an error.
 */
export function modelCatalogWith(base: ModelCatalog, entries: Record<string, Record<string, unknown>>, file: string, where?: string): ModelCatalog {
  const specs = Object.entries(entries).map(([name, fields]) => {
    const parsed = modelEntrySchema.safeParse(fields);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InputError(`model ${name}: ${issue.path.join('.')}: ${issue.message}`, file, where);
    }
    return { ...parsed.data, name } as ModelSpec;
  });
  return extendCatalog('model', base, specs);
}
