import type { PointRecord } from '../experiment/point-record.js';
import type { PointResult } from '../experiment/run-point.js';
import { InputError } from '../input-error.js';
import { METRICS, type MetricDef } from '../metrics/index.js';
import { compareValues, type CompareMetric, type CompareRow, type Comparison } from './compare.js';

/**
 * A point as vLLM's benchmark_serving saves a run (vllm-project/vllm@0049e29c:benchmarks/benchmark_serving.py,
 * `result` and `process_one_metric`): duration, completed, token totals, throughputs and
 * mean/median/std/pNN of ttft, tpot, itl and e2el in ms. Identification fields (name, id,
 * point) come first; metrics the simulator has beyond vLLM's keep their own names under `routesim`.
 */
export function vllmResult(r: PointResult): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: r.name,
    id: r.id,
    seed: r.seed,
    point: r.point,
    backend: 'routesim',
    duration: r.summary.duration_s,
    completed: r.completed,
    total_input_tokens: r.metrics.input_tokens ?? null,
    total_output_tokens: r.metrics.output_tokens ?? null,
  };
  // Throughputs first, then the latency statistics, as vLLM orders them.
  for (const pass of [false, true]) {
    for (const m of METRICS) if (m.vllm && (m.unit === 'ms') === pass && !(m.vllm in out)) out[m.vllm] = m.get(r);
  }
  return out;
}

/** The JSON line `sim run --format vllm` prints for a point (a failed one: its id and error). */
export function vllmLine(r: PointRecord): string {
  if ('error' in r && typeof r.error === 'string') return JSON.stringify({ name: r.name, id: r.id, seed: r.seed, point: r.point, error: r.error });
  return JSON.stringify(vllmResult(r as PointResult));
}

/**
 * Benchmark results from a file: a vLLM benchmark_serving result (one JSON object) or SGLang
 * bench_serving's output (JSON lines, one per run). InputError naming the file and line otherwise.
 */
export function parseBenchmarkFile(text: string, file: string): Record<string, unknown>[] {
  const trimmed = text.trim();
  const parse = (s: string, where: string): Record<string, unknown> => {
    let v: unknown;
    try {
      v = JSON.parse(s);
    } catch (err) {
      throw new InputError(`${where}: not JSON (${(err as Error).message.split('\n')[0]})`, file);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InputError(`${where}: expected a JSON object of benchmark results`, file);
    return v as Record<string, unknown>;
  };
  let records: Record<string, unknown>[];
  try {
    records = [parse(trimmed, 'file')];
  } catch {
    records = trimmed
      .split('\n')
      .map((line, i) => [line.trim(), i + 1] as const)
      .filter(([line]) => line !== '')
      .map(([line, n]) => parse(line, `line ${n}`));
  }
  if (records.length === 0) throw new InputError('no benchmark results in the file', file);
  records.forEach((rec, i) => {
    if (!METRICS.some((m) => benchmarkValue(rec, m) !== null)) {
      throw new InputError(`${records.length > 1 ? `line ${i + 1}` : 'file'}: no benchmark_serving or bench_serving metric keys (e.g. mean_ttft_ms, request_throughput)`, file);
    }
  });
  return records;
}

/** A metric's value in a benchmark record, under vLLM's key or SGLang's; null when absent. */
export function benchmarkValue(rec: Record<string, unknown>, m: MetricDef): number | null {
  // vLLM's result JSON has spelled request_goodput with a trailing colon.
  const keys = [m.vllm, m.sglang, m.vllm === 'request_goodput' ? 'request_goodput:' : undefined];
  for (const k of keys) {
    if (k === undefined) continue;
    const v = rec[k];
    if (typeof v === 'number') return v;
  }
  return null;
}

/**
 * Holds simulated points against measured benchmark runs: one run for every point, or as many
 * runs as points, matched in order. Only metrics the benchmark reports are checked.
 */
export function compareWithBenchmark(
  runs: readonly Record<string, unknown>[],
  file: string,
  candidate: { manifest: { name: string }; records: readonly (PointRecord | undefined)[] },
  metrics: readonly CompareMetric[],
  tolerance: number,
): Comparison {
  // Points not run yet (an unfinished directory) are not checked.
  const points = candidate.records.filter((r): r is PointRecord => r !== undefined);
  if (runs.length !== 1 && runs.length !== points.length) {
    throw new InputError(`${runs.length} benchmark runs for ${points.length} simulated points: give one run, or one per point in sweep order`, file);
  }
  const checked = metrics.filter((m) => runs.some((rec) => benchmarkValue(rec, m) !== null));
  if (checked.length === 0) throw new InputError(`none of the metrics asked for is in the benchmark results (${metrics.map((m) => m.name).join(', ')})`, file);
  const rows: CompareRow[] = [];
  points.forEach((r, i) => {
    const run = runs.length === 1 ? runs[0] : runs[i];
    if ('error' in r && typeof r.error === 'string') {
      rows.push({ id: r.id, metric: 'point', baseline: null, candidate: null, change: null, verdict: 'failed', note: r.error });
      return;
    }
    for (const m of checked) rows.push(compareValues(r.id, m, benchmarkValue(run, m), m.get(r as PointResult), tolerance));
  });
  return {
    name: candidate.manifest.name,
    rows,
    regressions: rows.filter((r) => r.verdict === 'worse' || r.verdict === 'failed').length,
    extra: [],
    unchecked: [],
  };
}
