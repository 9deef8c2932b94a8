import { join } from 'node:path';
import type { Sequence } from '../serving/index.js';
import type { RequestSpec } from '../workload/index.js';
import { loadExperiment, type LoadedExperiment } from './load.js';
import { ResultsDir, type RequestLog } from './results-dir.js';
import { runPoint, type PointResult } from './run-point.js';

export interface RunOptions {
  /** Overrides the results root (default: outputs.dir or results/<name>). */
  resultsRoot?: string;
  /** Writes requests.csv even if the experiment does not ask for it. */
  requestsCsv?: boolean;
  /** Called when a point finishes (for printing as results come). */
  onPoint?(result: PointResult, exp: LoadedExperiment): void;
}

export interface ExperimentRun {
  experiment: LoadedExperiment;
  results: PointResult[];
  dir: string;
}

/** Runs every point of an experiment file in order, writing each result as it finishes. */
export async function runExperimentFile(file: string, opts: RunOptions = {}): Promise<ExperimentRun> {
  const exp = loadExperiment(file);
  const dir = opts.resultsRoot
    ? join(opts.resultsRoot, exp.name)
    : (exp.base.outputs.dir ?? join('results', exp.name));
  const store = new ResultsDir(dir);
  const results: PointResult[] = [];
  const single = exp.points.length === 1;
  for (const point of exp.points) {
    const log = opts.requestsCsv || point.config.outputs.requestsCsv ? store.openRequestLog(point.id, single) : undefined;
    const result = await runPoint(exp, point, log ? { onRequestEnd: requestRow(log) } : {});
    log?.close();
    store.writePoint(result);
    results.push(result);
    opts.onPoint?.(result, exp);
  }
  store.writeSummary(exp.name, exp.base.seed, results);
  return { experiment: exp, results, dir };
}

function requestRow(log: RequestLog) {
  return (req: RequestSpec, seq: Sequence | undefined, instance: string | undefined, rejection?: string) => {
    const ms = (s: number) => (s * 1000).toFixed(3);
    if (!seq) {
      log.write(`${req.id},${req.workloadClass},${req.arrival.toFixed(6)},${instance ?? ''},${req.promptTokens},${req.outputTokens},,,,,,,"${rejection ?? ''}"\n`);
      return;
    }
    const ttft = seq.firstTokenAt - req.arrival;
    const e2e = seq.finishedAt - req.arrival;
    const tpot = req.outputTokens > 1 ? ms((e2e - ttft) / (req.outputTokens - 1)) : '';
    log.write(
      `${req.id},${req.workloadClass},${req.arrival.toFixed(6)},${instance},${req.promptTokens},${req.outputTokens},${seq.cachedTokens},${ms(ttft)},${tpot},${ms(e2e)},${ms(seq.firstScheduledAt - req.arrival)},${seq.preemptions},\n`,
    );
  };
}
