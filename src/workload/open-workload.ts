import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { randomStream } from '../engine/random.js';
import { InputError } from '../input-error.js';
import { arrivalProcess, IMMEDIATE_ARRIVALS, stagedArrivalProcess } from './arrival-factory.js';
import { ClientGate } from './client-gate.js';
import { FixedLengthSource } from './fixed-source.js';
import { PromptPoolSource } from './prompt-pool.js';
import { ArrivalMerge } from './arrival-merge.js';
import type { WorkloadConfig, WorkloadSourceConfig } from './config.js';
import { processOf } from './config.js';
import { DatasetSource } from './dataset-source.js';
import { loadDefinition, type WorkloadDefinition } from './definition.js';
import { NumberedStream } from './numbered-stream.js';
import { RatioMix } from './ratio-mix.js';
import { shippedDefinitionNames, shippedDefinitionPath } from './shipped.js';
import { TimedSource } from './timed-source.js';
import { TraceSource } from './trace-source.js';
import { DEFAULT_BLOCK_TOKENS } from './request.js';
import type { RequestStream } from './types.js';

export interface OpenWorkloadOptions {
  /** Run seed; each source draws from its own named stream of it. */
  seed: number | string;
  /** Directory that relative dataset and trace paths are resolved against. */
  baseDir: string;
  /** The experiment file, for error messages. */
  file?: string;
  /** Tokens per KV block of the engines: prompt pools hash at this size unless they say otherwise (default 16). */
  blockTokens?: number;
  /** Where a field is in the file ("workload.sources.1.dataset (line 8)"), for error messages. */
  where?: (path: PropertyKey[]) => string;
}

/** Where a source's field is written: with its line when the caller can say. */
function sourceField(opts: OpenWorkloadOptions, i: number, field: string): string {
  return opts.where?.(['workload', 'sources', i, field]) ?? `workload.sources[${i}].${field}`;
}

/**
 * Opens a validated `workload:` config as a lazy stream of requests, numbered from 0 in arrival
 * order. Files are opened (and the first trace line read) now, so bad paths fail here.
 */
export function openWorkload(config: WorkloadConfig, opts: OpenWorkloadOptions): RequestStream {
  const definitions = new Map<string, WorkloadDefinition>();
  const bodies = config.sources.map((s, i) => openBody(s, i, opts, definitions));
  let stream: RequestStream;
  if (config.rate !== undefined || config.stages !== undefined || config.clients !== undefined) {
    const random = randomStream(opts.seed, 'workload/mix/arrival');
    const stages = config.stages ?? (processOf(config.arrival) === 'conditioned-poisson' ? [{ rate: config.rate!, duration: config.duration! }] : undefined);
    const arrivals =
      stages !== undefined
        ? stagedArrivalProcess(config.arrival, stages, random)
        : config.rate !== undefined
          ? arrivalProcess(config.arrival, config.rate, random)
          : IMMEDIATE_ARRIVALS;
    stream = new RatioMix(
      bodies.map((b) => b.stream),
      config.sources.map((s) => s.ratio ?? 1),
      arrivals,
      randomStream(opts.seed, 'workload/mix/choice'),
    );
    if (config.clients !== undefined) stream = new ClientGate(stream, config.clients);
  } else {
    const timed = config.sources.map((s, i) => {
      const body = bodies[i];
      if (s.rate !== undefined) {
        const random = randomStream(opts.seed, `workload/source${i}/arrival`);
        return new TimedSource(body.stream, arrivalProcess(s.arrival, s.rate, random));
      }
      if (!body.hasTimestamps) {
        throw new InputError(
          `trace ${s.trace!.path} has no arrival times (no arrived_at column); give this source a rate`,
          opts.file,
          sourceField(opts, i, 'rate'),
        );
      }
      return new TimedSource(body.stream, undefined, s.trace?.speedup ?? 1);
    });
    stream = timed.length === 1 ? timed[0] : new ArrivalMerge(timed);
  }
  // A conditioned process puts its last arrival on the stage end: the schedule itself ends the run.
  const duration = config.stages !== undefined || processOf(config.arrival) === 'conditioned-poisson' ? Infinity : config.duration;
  return new NumberedStream(stream, config.requests ?? Infinity, duration ?? Infinity);
}

/** The least share of draws a length filter may keep: below it, drawing would dominate the run. */
const MIN_KEPT_SHARE = 0.001;

interface Body {
  stream: RequestStream;
  hasTimestamps: boolean;
}

function openBody(
  s: WorkloadSourceConfig,
  i: number,
  opts: OpenWorkloadOptions,
  definitions: Map<string, WorkloadDefinition>,
): Body {
  const caps = { maxPromptTokens: s.maxPromptTokens, maxOutputTokens: s.maxOutputTokens };
  if (s.pool !== undefined) {
    const random = randomStream(opts.seed, `workload/source${i}/lengths`);
    const pool = { ...s.pool, outputTokens: Math.min(s.pool.outputTokens, s.maxOutputTokens ?? Infinity) };
    const block = s.pool.hashBlockTokens ?? opts.blockTokens ?? DEFAULT_BLOCK_TOKENS;
    return { stream: new PromptPoolSource(pool, random, s.class, `pool:${s.class}:${i}`, block, s.maxPromptTokens), hasTimestamps: false };
  }
  if (s.fixed !== undefined) {
    const prompt = Math.min(s.fixed.promptTokens, s.maxPromptTokens ?? Infinity);
    const output = Math.min(s.fixed.outputTokens, s.maxOutputTokens ?? Infinity);
    return { stream: new FixedLengthSource(prompt, output, s.class), hasTimestamps: false };
  }
  if (s.dataset !== undefined) {
    const path = resolveDataset(s.dataset, opts, sourceField(opts, i, 'dataset'));
    let def = definitions.get(path);
    if (def === undefined) {
      def = loadDefinition(path);
      definitions.set(path, def);
    }
    const random = randomStream(opts.seed, `workload/source${i}/lengths`);
    const source = new DatasetSource(def, random, s.class, { ...caps, filter: s.filter });
    const kept = source.keptShare();
    if (kept < MIN_KEPT_SHARE) {
      const share = kept === 0 ? 'no request' : `only ${(kept * 100).toPrecision(2)}% of the requests`;
      throw new InputError(
        `the filter keeps ${share} of dataset "${s.dataset}" (at least ${MIN_KEPT_SHARE * 100}%: every request is drawn until one passes)`,
        opts.file,
        sourceField(opts, i, 'filter'),
      );
    }
    return { stream: source, hasTimestamps: false };
  }
  const t = s.trace!;
  const source = new TraceSource(t.format, resolve(opts.baseDir, t.path), {
    ...caps,
    filter: s.filter,
    workloadClass: s.class,
    loop: t.loop,
    defaultOutputTokens: t.defaultOutputTokens,
    hashBlockTokens: t.hashBlockTokens,
    hashNamespace: `${t.format}:${t.path}`,
  });
  if (s.filter !== undefined && source.keptNothing) {
    throw new InputError(`the filter keeps no record of trace "${t.path}"`, opts.file, sourceField(opts, i, 'filter'));
  }
  return { stream: source, hasTimestamps: source.hasTimestamps };
}

/** A shipped definition name, else a path relative to the experiment file's directory. */
function resolveDataset(dataset: string, opts: OpenWorkloadOptions, where: string): string {
  const looksLikePath = /[/\\]/.test(dataset) || /\.ya?ml$/i.test(dataset) || isAbsolute(dataset);
  if (!looksLikePath) {
    const shipped = shippedDefinitionPath(dataset);
    if (shipped !== undefined) return shipped;
    throw new InputError(
      `unknown dataset "${dataset}" (shipped: ${shippedDefinitionNames().join(', ') || 'none'}; or give a path to a definition file)`,
      opts.file,
      where,
    );
  }
  const path = resolve(opts.baseDir, dataset);
  if (!existsSync(path)) throw new InputError(`dataset file not found: ${path}`, opts.file, where);
  return path;
}
