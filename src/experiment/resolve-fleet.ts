// The modules themselves, not the hardware index: a run should not load the calibration code.
import type { GpuCatalog, GpuSpec, ModelSpec } from '../hardware/index.js';
import { kvCapacityTokens } from '../hardware/kv-capacity.js';
import { cudaGraphMaxTokens } from '../hardware/cuda-graph.js';
import { deriveModel } from '../hardware/model-derived.js';
import { createTimingModel } from '../hardware/timing-model.js';
import { DEFAULT_ASYNC_SCHEDULING, resolveFrontend, type InstanceSpec } from '../cluster/index.js';
import { InputError } from '../input-error.js';
import { engineConfigFrom, type EngineConfig } from '../serving/index.js';
import type { FleetEntry } from './schema.js';
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

export interface ResolvedFleetEntry {
  entry: FleetEntry;
  gpu: GpuSpec;
  engine: EngineConfig;
  kvCapacityTokens: number;
  costPerHour: number;
}

/**
 * Turns fleet entries into instance specs: GPU facts from the catalog, engine settings over
 * vLLM's defaults, KV capacity from memory, and a timing model. Errors name the entry's field.
 */
export function resolveFleet(
  fleet: readonly FleetEntry[],
  model: ModelSpec,
  gpus: GpuCatalog,
  ctx: { file: string; baseDir: string; where(path: readonly PropertyKey[]): string },
): { instances: InstanceSpec[]; entries: ResolvedFleetEntry[] } {
  const instances: InstanceSpec[] = [];
  const entries: ResolvedFleetEntry[] = [];
  const perGpuType = new Map<string, number>();
  fleet.forEach((entry, i) => {
    const at = (...path: PropertyKey[]) => ctx.where(['fleet', i, ...path]);
    let gpu: GpuSpec;
    try {
      gpu = gpus.get(entry.gpu);
    } catch (err) {
      throw new InputError((err as Error).message, ctx.file, at('gpu'));
    }
    const settings = typeof entry.engine === 'string' ? { kind: entry.engine } : (entry.engine ?? {});
    const engine: EngineConfig = engineConfigFrom(settings, gpu.memoryGB, entry.tp);
    // vLLM's OpenAI server schedules asynchronously by default (docs/timing.md, "When a request is first scheduled").
    if (engine.kind !== 'sglang') engine.asyncScheduling = settings.asyncScheduling ?? DEFAULT_ASYNC_SCHEDULING;
    if (engine.kind !== 'sglang' && engine.maxNumSeqs > engine.maxNumBatchedTokens) {
      // Blame the one the file sets (the other is a default).
      const set = (k: string) => typeof settings === 'object' && k in settings;
      const field = set('maxNumBatchedTokens') && !set('maxNumSeqs') ? 'maxNumBatchedTokens' : 'maxNumSeqs';
      const told = (k: string) => (set(k) ? '' : ', the default');
      throw new InputError(
        `maxNumSeqs (${engine.maxNumSeqs}${told('maxNumSeqs')}) must not exceed maxNumBatchedTokens (${engine.maxNumBatchedTokens}${told('maxNumBatchedTokens')})`,
        ctx.file,
        at('engine', field),
      );
    }
    if (model.heads % entry.tp !== 0) {
      throw new InputError(`tensor parallelism ${entry.tp} does not divide the ${model.heads} attention heads of ${model.name}`, ctx.file, at('tp'));
    }
    const kvTokens = kvCapacityTokens(gpu, model, entry.tp, engine.gpuMemoryUtilization, engine.maxNumBatchedTokens);
    if (kvTokens < engine.blockSize) {
      const weightsGB = deriveModel(model).weightBytes / 2 ** 30; // GiB, as the memory figure (kv-capacity.ts)
      const usableGB = gpu.memoryGB * engine.gpuMemoryUtilization * entry.tp;
      throw new InputError(
        `${model.name} does not fit on ${entry.tp}x ${gpu.name}: weights need ${weightsGB.toFixed(1)} GB of ${usableGB.toFixed(1)} GB usable, leaving no room for KV cache (raise tp or gpuMemoryUtilization)`,
        ctx.file,
        at('gpu'),
      );
    }
    let timing;
    const t = entry.timing ?? 'roofline';
    try {
      timing =
        t === 'roofline'
          ? createTimingModel({
              kind: 'roofline',
              gpu,
              model,
              tp: entry.tp,
              expertParallel: entry.expertParallel,
              // SGLang's sampler never sorts; vLLM's does unless its FlashInfer sampler is on.
              sortingSampler: engine.kind !== 'sglang' && engine.flashinferSampler !== true,
              // vLLM pads graph-replayed steps to its capture sizes; SGLang's are not modelled.
              cudaGraphMaxTokens:
                engine.kind === 'sglang' ? undefined : cudaGraphMaxTokens(engine.maxNumSeqs, engine.maxNumBatchedTokens),
              hostStep: engine.hostStep,
            })
          : createTimingModel({ kind: 'table', gpu, model, tp: entry.tp, table: tablePath(t.table, ctx.baseDir) });
    } catch (err) {
      if (err instanceof InputError && !err.file) throw new InputError(err.message, ctx.file, at('timing'));
      // A table that is nowhere: the experiment's field, and where it was looked for.
      if (err instanceof InputError && t !== 'roofline' && /\(ENOENT\)/.test(err.message)) {
        const looked = isAbsolute(t.table) ? t.table : `${resolve(ctx.baseDir, t.table)}, in the working directory and in the shipped profiles/timing/`;
        throw new InputError(`timing table "${t.table}" not found (looked for ${looked})`, ctx.file, at('timing', 'table'));
      }
      throw err;
    }
    const maxModelLen = Math.min(engine.maxModelLen ?? model.maxModelLen, model.maxModelLen);
    const costPerHour = entry.costPerHour ?? gpu.costPerHour;
    entries.push({ entry, gpu, engine, kvCapacityTokens: kvTokens, costPerHour });
    if (entry.dpDispatch !== undefined && entry.dp === 1) {
      throw new InputError('dpDispatch needs dp > 1', ctx.file, at('dpDispatch'));
    }
    for (let c = 0; c < entry.count; c++) {
      const n = perGpuType.get(gpu.name) ?? 0;
      perGpuType.set(gpu.name, n + 1);
      instances.push({
        id: `${gpu.name}-${entry.role === 'unified' ? '' : entry.role + '-'}${n}`,
        gpuType: gpu.name,
        role: entry.role,
        group: entry.roleset,
        node: entry.node,
        timing,
        kvCapacityTokens: kvTokens,
        maxModelLen,
        config: engine,
        dp: entry.dp,
        dpDispatch: entry.dpDispatch,
        kvBytesPerToken: deriveModel(model).kvBytesPerToken,
        frontend: resolveFrontend(entry.frontend),
      });
    }
  });
  return { instances, entries };
}

/** A table path relative to the experiment file when it exists there; otherwise as given (profiles/timing/ lookup). */
function tablePath(table: string, baseDir: string): string {
  if (isAbsolute(table)) return table;
  const local = resolve(baseDir, table);
  return existsSync(local) ? local : table;
}
