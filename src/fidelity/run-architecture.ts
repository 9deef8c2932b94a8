/**
 * A catalog entry for a run whose model the catalog lacks, from the run table's architecture
 * columns. The columns leave out three facts the step model needs: the head size (not always
 * hidden / heads: Mistral-Nemo has 5120 / 32 = 160 but 128-wide heads), whether the embeddings
 * are tied, and (MoE) whether a shared expert runs beside the routed ones. Each changes the
 * parameter count, so the published count (params_b) decides: the entry with the fewest
 * departures from the usual (head size hidden / heads, untied embeddings, no shared expert)
 * whose count is within 3% of it, the closest such among equals. The published count is rounded
 * and may include a vision tower (Llama-4-Scout: 109B, its text model 107.8B), hence the
 * tolerance; with none within it, the closest. Without params_b: the usual.
 */
import { deriveModel, type ModelSpec } from '../hardware/index.js';
import type { RealRun, RunArchitecture } from './real-run.js';

/** Head sizes of public decoder configs, tried besides hidden / heads. */
const HEAD_SIZES = [64, 80, 96, 128, 256];

/** How far a candidate's parameter count may be from the published one and still count as a match. */
const PARAMS_TOLERANCE = 0.03;

export interface InferredModel {
  /** The catalog fields of the entry (profiles/models.yaml layout, without the name). */
  fields: Omit<ModelSpec, 'name'>;
  /** Its parameter count as the step model counts it. */
  params: number;
  /** One line for the user: what was assumed, and how the count compares with the published one. */
  note: string;
}

/** The catalog name of an inferred model: the last part of the run's model id. */
export function inferredModelName(run: RealRun): string {
  return run.model.split('/').pop()!;
}

export function inferModel(run: RealRun): InferredModel | undefined {
  const a = run.architecture;
  if (!a) return undefined;
  const natural = a.hidden % a.heads === 0 ? a.hidden / a.heads : 128;
  const count = (f: InferredModel['fields']) => deriveModel({ name: inferredModelName(run), ...f }).params;
  const want = (a.paramsB ?? 0) * 1e9;
  const candidates: { fields: InferredModel['fields']; departures: number; error: number }[] = [];
  for (const headDim of [...new Set([natural, ...HEAD_SIZES])]) {
    for (const tied of [false, true]) {
      for (const shared of a.experts ? [0, 1] : [0]) {
        const f = fields(a, run, headDim, tied, shared);
        const departures = Number(headDim !== natural) + Number(tied) + Number(shared > 0);
        candidates.push({ fields: f, departures, error: want > 0 ? Math.abs(count(f) - want) / want : 0 });
      }
    }
  }
  const byDepartures = [...candidates].sort((x, y) => x.departures - y.departures || x.error - y.error);
  const closest = [...candidates].sort((x, y) => x.error - y.error)[0];
  const best = (byDepartures.find((c) => c.error <= PARAMS_TOLERANCE) ?? closest).fields;
  const params = count(best);
  const choices = [
    `head size ${best.headDim}`,
    best.tiedEmbeddings ? 'tied embeddings' : 'untied embeddings',
    ...(best.moe ? [`${best.moe.sharedExperts} shared expert${best.moe.sharedExperts === 1 ? '' : 's'}`] : []),
  ].join(', ');
  const against = a.paramsB !== undefined ? ` against ${a.paramsB}B published` : '';
  return {
    fields: best,
    params,
    note: `model ${run.model} is not in the catalog: timed from the run's architecture columns (${choices}: ${(params / 1e9).toFixed(1)}B parameters${against}; top-p sampling assumed)`,
  };
}

function fields(a: RunArchitecture, run: RealRun, headDim: number, tiedEmbeddings: boolean, sharedExperts: number): InferredModel['fields'] {
  return {
    layers: a.layers,
    hiddenSize: a.hidden,
    heads: a.heads,
    kvHeads: a.kvHeads,
    headDim,
    intermediateSize: a.ffn,
    vocabSize: a.vocab,
    // FP8 checkpoints keep the KV cache in 16 bit (vLLM's kv_cache_dtype auto).
    dtypeBytes: a.fp8 ? 1 : 2,
    ...(a.fp8 && { kvDtypeBytes: 2 }),
    maxModelLen: run.engine.maxModelLen,
    tiedEmbeddings,
    // Most served chat models' generation_config.json sets top_p or top_k (4 of the 6 models of
    // the training runs do); the table cannot say.
    topPSampling: true,
    ...(a.experts !== undefined && {
      moe: { experts: a.experts, activeExperts: a.expertsPerToken!, expertIntermediateSize: a.ffn, sharedExperts },
    }),
  };
}
