import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { loadExperiment } from '../experiment/load.js';
import type { PointResult } from '../experiment/run-point.js';
import { ensureRealDir, summaryCsv, writeFileAtomic } from '../experiment/results-dir.js';
import { InputError } from '../input-error.js';
import { isLoopback } from '../llm-http/index.js';
import { runLoad, sloOf } from '../load/index.js';
import { openWorkload } from '../workload/index.js';

export interface LoadFlags {
  url: string;
  out?: string;
  point?: string;
  requests?: number;
  model?: string;
}

/**
 * Sends the workload of one experiment point to `--url` in real time and writes summary.json and
 * summary.csv as `sim run` does, so `sim compare` can set the run against a simulated one.
 */
export async function loadCommand(file: string, flags: LoadFlags): Promise<{ result: PointResult; dir: string; failures: Map<string, number> }> {
  let url: URL;
  try {
    url = new URL(flags.url);
  } catch {
    throw new InputError(`--url "${flags.url}" is not a URL`);
  }
  if (!isLoopback(url.hostname.replace(/^\[|\]$/g, '')) || url.protocol !== 'http:') {
    throw new InputError(`--url ${flags.url}: sim load sends to http:// loopback addresses only`);
  }
  if (flags.requests !== undefined && !(Number.isInteger(flags.requests) && flags.requests > 0)) throw new InputError('--requests must be a whole number >= 1');
  const exp = loadExperiment(file);
  const point = flags.point === undefined ? exp.points[0] : exp.points.find((p) => p.id === flags.point);
  if (!point) throw new InputError(`no point "${flags.point}" (points: ${exp.points.map((p) => p.id).join(', ')})`, file);
  const cfg = point.config;
  const classes = [...new Set(cfg.workload.sources.map((s) => s.class))];
  const stream = openWorkload(cfg.workload, { seed: cfg.seed, baseDir: exp.baseDir, file: exp.file, where: exp.where });
  const { summary, failures } = await runLoad({
    url: flags.url.replace(/\/+$/, ''),
    model: flags.model ?? cfg.model,
    stream,
    classes,
    slo: sloOf(cfg),
    maxRequests: flags.requests,
  });
  const { metrics, completed, rejected, ...rest } = summary;
  const result: PointResult = {
    name: cfg.name,
    id: point.id,
    seed: cfg.seed,
    point: point.values,
    policy: `live ${flags.url}`,
    mode: cfg.router.mode,
    fleet: [],
    cost_per_hour: 0,
    completed,
    rejected,
    metrics,
    summary: rest,
    warnings: [...failures].map(([reason, n]) => `${n} requests failed: ${reason}`),
  };
  // Like sim run's --out: a results root holding <name>/ (default results/live, beside results/<name>).
  const dir = join(flags.out ?? join('results', 'live'), cfg.name);
  keepFinishedLoad(dir);
  writeFileAtomic(join(dir, 'summary.json'), JSON.stringify({ name: cfg.name, seed: cfg.seed, runs: [result] }, null, 2) + '\n');
  writeFileAtomic(join(dir, 'summary.csv'), summaryCsv([result]));
  return { result, dir, failures };
}

/**
 * Makes room for a load's summary in `dir` without losing a finished result: a directory of a
 * `sim run` (its manifest) is refused, since a summary there would disagree with its points; an
 * earlier load's two summary files move to previous/ (replacing older ones there).
 */
function keepFinishedLoad(dir: string): void {
  if (existsSync(join(dir, 'experiment.json'))) {
    throw new InputError(`${dir} holds the results of sim run (experiment.json); sim load would replace their summary: give --out another results root`);
  }
  ensureRealDir(dir, 'results directory');
  const files = ['summary.json', 'summary.csv'].filter((f) => existsSync(join(dir, f)));
  if (files.length === 0) return;
  const previous = join(dir, 'previous');
  ensureRealDir(previous, 'previous-run directory');
  for (const f of files) renameSync(join(dir, f), join(previous, f));
}
