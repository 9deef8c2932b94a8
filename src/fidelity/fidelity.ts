import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mean, median, quantile } from 'd3-array';
import { parse, stringify } from 'yaml';
import { InputError } from '../input-error.js';
import { loadExperimentText, runPoint, type LoadedExperiment } from '../experiment/index.js';
import { loadGpuCatalog, loadModelCatalog, modelCatalogWith, type GpuCatalog, type ModelCatalog } from '../hardware/index.js';
import type { MeasuredLatency, RealRun, UnreadRow } from './real-run.js';
import { inferModel, inferredModelName, type InferredModel } from './run-architecture.js';
import { catalogModel, runExperiment, runGpu } from './run-config.js';

export const METRICS = ['ttftMean', 'ttftP90', 'ttftP99', 'tpotMean', 'e2eMean', 'e2eP90', 'e2eP99'] as const;
export type Metric = (typeof METRICS)[number];

/** One scope of a run (the whole run, or one stage): simulated figures, measured ones, signed relative errors. */
export interface ScopeResult {
  scope: string;
  /** Simulated requests in the scope (mean over seeds). */
  requests: number;
  simulated: MeasuredLatency;
  measured: MeasuredLatency;
  /** (simulated − measured) / measured per metric the run measured; APE is its absolute value. */
  error: Partial<Record<Metric, number>>;
}

export interface RunResult {
  id: string;
  model: string;
  tp?: number;
  cpuOffload: boolean;
  /** Why the run was not simulated (e.g. its model is neither in the catalog nor described by the run). */
  skipped?: string;
  /** What the run was simulated with that the user should know (a model made from the run's architecture columns). */
  note?: string;
  /** The experiment file used, or "(generated)". */
  experiment?: string;
  scopes: ScopeResult[];
}

export interface MedianRow {
  /** Median over runs of |error| and of error, per metric. */
  ape: Partial<Record<Metric, number>>;
  signed: Partial<Record<Metric, number>>;
  runs: number;
}

export interface FidelityReport {
  seeds: number[];
  runs: RunResult[];
  /** Medians of the whole-run scope: over all simulated runs, and without the cpu_offload runs. */
  medians: { all: MedianRow; noOffload: MedianRow };
}

export interface FidelityOptions {
  /** Seeds to simulate each run with; figures are averaged over them. */
  seeds: number[];
  /** Directory of experiment files named trainval-<id>.yaml: used when present, else generated. */
  experimentsDir?: string;
  /** Only these run ids. */
  only?: readonly string[];
  /** Rows of the run table that could not be read: reported as skipped, with their reasons. */
  unread?: readonly UnreadRow[];
  /** GPU catalog to resolve fleets in (default: the shipped one), e.g. with timing constants under trial. */
  gpus?: GpuCatalog;
  /** Changes applied to each experiment before it runs (e.g. a fitted constant under trial). */
  adjust?(config: Record<string, unknown>): void;
  onProgress?(message: string): void;
}

/** The experiment of a real run, ready to load. */
export interface RunExperiment {
  text: string;
  file: string;
  generated: boolean;
  /** The catalog GPU of a generated experiment. */
  gpu?: string;
  /** A model catalog with the entry inferred from the run's architecture columns, when the catalog lacks the model. */
  models?: ModelCatalog;
  inferred?: InferredModel;
  /** What the experiment assumes that the run table did not say (printed under the table). */
  notes: string[];
}

/**
 * The experiment of a real run: its file in the experiments directory if there is one, else
 * generated. A model the catalog lacks is timed from the run's architecture columns; a run with
 * neither, or on a GPU the catalog lacks, is skipped with the reason.
 */
export function experimentFor(run: RealRun, opts: Pick<FidelityOptions, 'experimentsDir' | 'gpus'>): RunExperiment | { skipped: string } {
  const name = `trainval-${run.id}.yaml`;
  const file = join(opts.experimentsDir ?? '.', name);
  const catalog = loadModelCatalog();
  const model = catalogModel(run.model, catalog, run.fp8);
  const inferred = model === undefined && run.architectureInvalid === undefined ? inferModel(run) : undefined;
  const own = opts.experimentsDir !== undefined && existsSync(file);
  if (model === undefined && inferred === undefined) {
    // The user's own file may name a catalog of its own: it is their input.
    if (own) return { text: readFileSync(file, 'utf8'), file, generated: false, notes: [...run.notes] };
    const lacking = run.architectureInvalid
      ? `its architecture columns do not describe one (${run.architectureInvalid})`
      : run.architectureMissing
        ? `its architecture columns ${run.architectureMissing.join(', ')} are empty`
        : 'the run table has no architecture columns for it';
    return { skipped: `model ${run.model} is not in the catalog and ${lacking}` };
  }
  const modelName = model ?? inferredModelName(run);
  const models = inferred ? modelCatalogWith(catalog, { [modelName]: inferred.fields }, run.place.file, run.place.line) : undefined;
  const gpus = opts.gpus ?? loadGpuCatalog();
  const { gpu, note: gpuNote } = runGpu(run, gpus, (models ?? catalog).get(modelName));
  if (!gpus.has(gpu)) return { skipped: `GPU ${run.gpu} is not in the catalog (known: ${gpus.names().join(', ')})` };
  const notes = [...run.notes, ...(inferred ? [inferred.note] : []), ...(gpuNote ? [gpuNote] : [])];
  // The run's own file, unless it describes another run (a table reusing an id, or edited since
  // the file was written): then the row is what is simulated, and the note says why.
  if (own) {
    const text = readFileSync(file, 'utf8');
    const other = describesOtherRun(text, { model: modelName, gpu, tp: run.tp }, models ?? catalog, gpus);
    if (other === undefined) return { text, file, generated: false, notes: [...run.notes] };
    notes.push(`${file} ${other}: generated from the row instead`);
  }
  return { text: experimentYaml(run, modelName, gpu), file, generated: true, gpu, notes, ...(inferred && { models, inferred }) };
}

/**
 * Why an experiment file is not the run's: its model, GPU or tp differ from the row's (names
 * compared through the catalogs), or it is not an experiment of one fleet entry. Undefined when
 * it is the run's (other edits, such as engine settings under trial, are the user's).
 */
function describesOtherRun(
  text: string,
  want: { model: string; gpu: string; tp: number },
  models: ModelCatalog,
  gpus: GpuCatalog,
): string | undefined {
  let doc: { model?: unknown; fleet?: { gpu?: unknown; tp?: unknown }[] };
  try {
    doc = parse(text) ?? {};
  } catch {
    return undefined; // Its errors are reported when it loads, naming the line.
  }
  const entry = Array.isArray(doc.fleet) ? doc.fleet[0] : undefined;
  const same = (catalog: { has(n: string): boolean; get(n: string): { name: string } }, got: unknown, name: string) =>
    typeof got === 'string' && catalog.has(got) && catalog.get(got).name === name;
  if (!same(models, doc.model, want.model)) return `is for model ${String(doc.model)}, the row for ${want.model}`;
  if (!same(gpus, entry?.gpu, want.gpu)) return `is for GPU ${String(entry?.gpu)}, the row for ${want.gpu}`;
  if ((entry?.tp ?? 1) !== want.tp) return `is for tp ${String(entry?.tp ?? 1)}, the row for tp ${want.tp}`;
  return undefined;
}

/**
 * The generated experiment file of a run, as YAML text; `modelsFile` (relative to it) is the
 * model catalog that holds a model inferred from the run's columns.
 */
export function experimentYaml(run: RealRun, model: string, gpu: string, modelsFile?: string): string {
  const head = `# Generated by \`sim fidelity --write\` from the real-run description ${run.id}: configuration only;\n# the measured figures are read from the run table when sim fidelity runs.\n`;
  const config = runExperiment(run, model, gpu);
  const withCatalog = modelsFile === undefined ? config : { ...config, catalogs: { models: modelsFile } };
  return head + stringify(withCatalog, { lineWidth: 0 });
}

/** A model catalog file (profiles/models.yaml layout) holding the model inferred for a run. */
export function inferredModelsYaml(run: RealRun, inferred: InferredModel): string {
  const head = `# Generated by \`sim fidelity --write\`: ${inferred.note}.\n`;
  return head + stringify({ models: { [inferredModelName(run)]: inferred.fields } }, { lineWidth: 0 });
}

/** Simulates every run with every seed and scores it against its measurements. */
export async function runFidelity(runs: readonly RealRun[], opts: FidelityOptions): Promise<FidelityReport> {
  const unknown = opts.only?.filter((id) => !runs.some((r) => r.id === id) && !opts.unread?.some((u) => u.id === id));
  if (unknown && unknown.length > 0) throw new InputError(`--only: no run ${unknown.map((id) => `"${id}"`).join(', ')} in the table (its exp_id column)`);
  const results: RunResult[] = [];
  for (const u of opts.unread ?? []) {
    if (opts.only && !opts.only.includes(u.id)) continue;
    results.push({ id: u.id, model: '', cpuOffload: false, skipped: `${u.origin}: ${u.reason}`, scopes: [] });
  }
  for (const run of runs) {
    if (opts.only && !opts.only.includes(run.id)) continue;
    const exp = experimentFor(run, opts);
    if ('skipped' in exp) {
      results.push({ id: run.id, model: run.model, cpuOffload: run.cpuOffload, skipped: exp.skipped, scopes: [] });
      continue;
    }
    opts.onProgress?.(`run ${run.id}`);
    const perSeed: Summary[][] = [];
    // A generated experiment the simulator cannot stand up (a model too large for its GPUs) is
    // one row of the table, not the end of it; the user's own experiment file is their input,
    // and its errors stop the command as any bad input does.
    try {
      for (const seed of opts.seeds) perSeed.push(await simulateRun(run, exp, seed, opts));
    } catch (err) {
      if (!(err instanceof InputError) || !exp.generated) throw err;
      results.push({ id: run.id, model: run.model, cpuOffload: run.cpuOffload, skipped: err.message, scopes: [] });
      continue;
    }
    // Requests the simulated server turned away have no latency: a run that rejects them all
    // has nothing to compare, and one that rejects some is compared on the rest, said in a note.
    const total = perSeed.reduce((n, s) => n + s[0].requests + s[0].rejected, 0);
    const rejected = perSeed.reduce((n, s) => n + s[0].rejected, 0);
    if (rejected > 0) {
      const why = perSeed.flatMap((s) => s[0].rejections).filter((v, i, all) => all.indexOf(v) === i).join('; ');
      if (rejected === total) {
        results.push({ id: run.id, model: run.model, cpuOffload: run.cpuOffload, skipped: `every request was rejected (${why})`, scopes: [] });
        continue;
      }
      exp.notes.push(`${((100 * rejected) / total).toFixed(1)}% of the simulated requests were rejected (${why}); figures are of the rest`);
    }
    const scopes = ['all', ...run.stages.map((_, k) => `s${k}`)].map((scope, i) => {
      const measured = i === 0 ? run.measured : run.measuredStages[i - 1];
      const simulated: MeasuredLatency = {};
      for (const m of METRICS) simulated[m] = mean(perSeed, (s) => s[i][m]);
      const requests = mean(perSeed, (s) => s[i].requests) ?? 0;
      const error: Partial<Record<Metric, number>> = {};
      for (const m of METRICS) {
        const want = measured[m];
        if (want !== undefined && want > 0 && simulated[m] !== undefined) error[m] = (simulated[m]! - want) / want;
      }
      return { scope, requests, simulated, measured, error };
    });
    // A one-stage run's stage is the run itself.
    results.push({
      id: run.id,
      model: run.model,
      tp: run.tp,
      cpuOffload: run.cpuOffload,
      experiment: exp.generated ? '(generated)' : exp.file,
      ...(exp.notes.length > 0 && { note: exp.notes.join('; ') }),
      scopes: run.stages.length === 1 ? scopes.slice(0, 1) : scopes,
    });
  }
  const simulated = results.filter((r) => !r.skipped);
  return {
    seeds: opts.seeds,
    runs: results,
    medians: { all: medians(simulated), noOffload: medians(simulated.filter((r) => !r.cpuOffload)) },
  };
}

function medians(runs: readonly RunResult[]): MedianRow {
  const ape: Partial<Record<Metric, number>> = {};
  const signed: Partial<Record<Metric, number>> = {};
  for (const m of METRICS) {
    const errors = runs.map((r) => r.scopes[0].error[m]).filter((e): e is number => e !== undefined);
    if (errors.length === 0) continue;
    ape[m] = median(errors.map(Math.abs));
    signed[m] = median(errors);
  }
  return { ape, signed, runs: runs.length };
}

/**
 * One seed of one run: per-request client-side TTFT and E2E, summarized per scope (whole run,
 * then each stage by the request's send time). TPOT is computed as the client computed it:
 * (E2E mean − TTFT mean) / (mean output length − 1), with the client's own mean output length
 * where the run reports one that differs from the fixed length.
 */
async function simulateRun(
  run: RealRun,
  { text, file, models }: RunExperiment,
  seed: number,
  { adjust, gpus }: Pick<FidelityOptions, 'adjust' | 'gpus'>,
): Promise<Summary[]> {
  let exp: LoadedExperiment = loadExperimentText(text, file);
  if (adjust) {
    const raw = structuredClone(exp.points[0].config) as unknown as Record<string, unknown>;
    adjust(raw);
    exp = loadExperimentText(stringify(raw), file);
  }
  const point = exp.points[0];
  const config = { ...point.config, seed };
  const ends: number[] = [];
  let t = 0;
  for (const s of run.stages) ends.push((t += s.duration));
  const scopes = run.stages.length + 1;
  const ttft: number[][] = Array.from({ length: scopes }, () => []);
  const e2e: number[][] = Array.from({ length: scopes }, () => []);
  let rejected = 0;
  // One example reason per kind of rejection (reasons name the request's own sizes).
  const rejections = new Map<string, string>();
  await runPoint(exp, { ...point, config }, {
    gpus,
    models,
    onOutcome(o) {
      if (o.rejection) {
        rejected++;
        if (!rejections.has(o.rejection.kind)) rejections.set(o.rejection.kind, o.rejection.reason);
        return;
      }
      const a = o.arrival;
      // The outcome's first and last token are the client's (the front end's response delay added).
      const f = (o.firstToken - a) * 1000;
      const e = (o.finished - a) * 1000;
      let k = 0;
      while (k < ends.length - 1 && a > ends[k]) k++;
      ttft[0].push(f);
      e2e[0].push(e);
      ttft[k + 1].push(f);
      e2e[k + 1].push(e);
    },
  });
  const outMean = run.measuredOutputMean ?? run.outputTokens;
  const why = [...rejections.values()];
  return ttft.map((tt, i) => ({ ...summarize(tt, e2e[i], outMean), rejected: i === 0 ? rejected : 0, rejections: i === 0 ? why : [] }));
}

/** A scope's figures; the rejected count and reasons are the whole run's (on the first scope). */
type Summary = MeasuredLatency & { requests: number; rejected: number; rejections: string[] };

function summarize(ttft: number[], e2e: number[], outMean: number): MeasuredLatency & { requests: number } {
  if (ttft.length === 0) return { requests: 0 };
  ttft.sort((a, b) => a - b);
  e2e.sort((a, b) => a - b);
  const tm = mean(ttft)!;
  const em = mean(e2e)!;
  return {
    requests: ttft.length,
    ttftMean: tm,
    ttftP90: quantile(ttft, 0.9),
    ttftP99: quantile(ttft, 0.99),
    tpotMean: outMean > 1 ? (em - tm) / (outMean - 1) : undefined,
    e2eMean: em,
    e2eP90: quantile(e2e, 0.9),
    e2eP99: quantile(e2e, 0.99),
  };
}
