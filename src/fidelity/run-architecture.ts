/**
 * A catalog entry for a run whose model the catalog lacks, from the run table's architecture
 * columns. Three facts the step model needs are often not among them: the head size (not always
 * hidden / heads: Mistral-Nemo has 5120 / 32 = 160 but 128-wide heads, Gemma-2-9B 224 but 256),
 * whether the embeddings are tied, and (MoE) whether a shared expert runs beside the routed ones.
 * The head_dim and tie_word_embeddings columns settle the first two where a table has them.
 * Otherwise each choice changes the parameter count, and the published count (params_b) decides:
 * the candidate with the least |log(count / published)| + (1% + the count's rounding) per
 * departure from the usual (head size hidden / heads, untied, no shared expert). A departure has
 * to bring the count closer by more than the published figure can tell apart: "7" (Qwen2.5-7B,
 * 7.6B) is ±7%, "12.2" ±0.4%; and 1% more for a vision tower the figure may include
 * (Llama-4-Scout: 109B, its text model 107.8B). Head sizes tried: hidden / heads, 128, 256 (the
 * sizes public configs use when they are not hidden / heads). Without params_b: the usual.
 */
import { deriveModel, type ModelSpec } from '../hardware/index.js';
import type { RealRun } from './real-run.js';
import type { RunArchitecture } from './run-columns.js';

/** Head sizes of public decoder configs whose head size is not hidden / heads. */
const HEAD_SIZES = [128, 256];

/**
 * How far beyond the published count's rounding the best candidate may stay before the note says
 * the shape is not one this reading knows: 5% (Scout's vision tower is 1%; a gate-less MLP read
 * as gated counts 25-40% too many).
 */
const UNKNOWN_SHAPE_MARGIN = 0.05;

/** How much closer to the published count (in log) a departure must bring it, beyond the count's rounding. */
const DEPARTURE_COST = 0.01;

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
  const heads = a.headDim !== undefined ? [a.headDim] : [...new Set([natural, ...HEAD_SIZES])];
  const ties = a.tiedEmbeddings !== undefined ? [a.tiedEmbeddings] : [false, true];
  let best: { fields: InferredModel['fields']; score: number } | undefined;
  for (const headDim of heads) {
    for (const tied of ties) {
      for (const shared of a.experts ? [0, 1] : [0]) {
        const f = fields(a, run, headDim, tied, shared);
        const departures = Number(headDim !== natural && a.headDim === undefined) + Number(tied && a.tiedEmbeddings === undefined) + Number(shared > 0);
        const fit = a.paramsB !== undefined ? Math.abs(Math.log(count(f) / (a.paramsB * 1e9))) : 0;
        const score = fit + (DEPARTURE_COST + (a.paramsPrecision ?? 0)) * departures;
        if (best === undefined || score < best.score) best = { fields: f, score };
      }
    }
  }
  const chosen = best!.fields;
  const params = count(chosen);
  const choices = [
    `head size ${chosen.headDim}`,
    chosen.tiedEmbeddings ? 'tied embeddings' : 'untied embeddings',
    ...(chosen.moe ? [`${chosen.moe.sharedExperts} shared expert${chosen.moe.sharedExperts === 1 ? '' : 's'}`] : []),
  ].join(', ');
  const against = a.paramsB !== undefined ? ` against ${a.paramsB}B published` : '';
  // A count further off than the published figure's rounding (and a vision tower) allows means a
  // shape this reading does not know: say so, since the timing rests on it.
  const off = a.paramsB !== undefined ? params / (a.paramsB * 1e9) - 1 : 0;
  const unknownShape =
    Math.abs(off) > (a.paramsPrecision ?? 0) + UNKNOWN_SHAPE_MARGIN
      ? `; ${off > 0 ? '+' : ''}${(off * 100).toFixed(0)}% off the published count: a shape this reading does not know (an MLP without a gate, MLA, a vision tower?), so its timing is uncertain`
      : '';
  return {
    fields: chosen,
    params,
    note: `model ${run.model} is not in the catalog: timed from the run's architecture columns (${choices}: ${(params / 1e9).toFixed(1)}B parameters${against}; top-p sampling assumed${unknownShape})`,
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
    // Most served chat models' generation_config.json sets top_p or top_k (4 of the 6 models of
    // the training runs do); the table cannot say.
    topPSampling: true,
    // FP8 checkpoints keep the KV cache in 16 bit (vLLM's kv_cache_dtype auto).
    dtypeBytes: a.fp8 ? 1 : 2,
    ...(a.fp8 && { kvDtypeBytes: 2 }),
    maxModelLen: run.engine.maxModelLen,
    tiedEmbeddings,
    ...(a.experts !== undefined && {
      moe: { experts: a.experts, activeExperts: a.expertsPerToken!, expertIntermediateSize: a.ffn, sharedExperts },
    }),
  };
}
