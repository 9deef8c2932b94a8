/** Picks and builds the timing model an instance uses. */
import { isAbsolute, join } from 'node:path';
import { existsSync } from 'node:fs';
import { InputError } from '../input-error.js';
import { profilesDir } from './profiles-dir.js';
import { checkTensorParallel, createRooflineTiming } from './roofline.js';
import { createTableTiming } from './table-timing.js';
import type { HostStep } from './host-step.js';
import type { GpuSpec, ModelSpec, TimingModel } from './types.js';

export interface TimingModelOptions {
  kind: 'roofline' | 'table';
  gpu: GpuSpec;
  model: ModelSpec;
  tp: number;
  /** MoE models: whole experts per rank (expert parallelism) instead of a 1/tp shard of each. */
  expertParallel?: boolean;
  /** Roofline: whether the engine's sampler sorts logits for top-p/top-k (roofline.ts). Absent: true (vLLM). */
  sortingSampler?: boolean;
  /** Roofline: vLLM's largest CUDA-graph size, from max_num_seqs and max_num_batched_tokens (cuda-graph.ts). */
  cudaGraphMaxTokens?: number;
  /** Roofline: the engine's host time per step (host-step.ts). Absent: the fitted vLLM one. */
  hostStep?: HostStep;
  /** For kind 'table': a CSV path, or a file name inside the package's profiles/timing/. */
  table?: string;
}

export function createTimingModel(opts: TimingModelOptions): TimingModel {
  if (opts.kind === 'roofline') return createRooflineTiming(opts.gpu, opts.model, opts.tp, {
      expertParallel: opts.expertParallel,
      sortingSampler: opts.sortingSampler,
      cudaGraphMaxTokens: opts.cudaGraphMaxTokens,
      hostStep: opts.hostStep,
    });
  if (opts.kind !== 'table') throw new InputError(`unknown timing model kind ${JSON.stringify(opts.kind)} (known: roofline, table)`);
  if (!opts.table) throw new InputError('timing model "table" needs a table file');
  checkTensorParallel(opts.model, opts.tp);
  return createTableTiming(resolveTablePath(opts.table), { gpu: opts.gpu, model: opts.model, tp: opts.tp });
}

/** A relative path that does not exist as given is looked up in profiles/timing/. */
export function resolveTablePath(table: string): string {
  if (isAbsolute(table) || existsSync(table)) return table;
  const shipped = join(profilesDir(), 'timing', table);
  return existsSync(shipped) ? shipped : table;
}
