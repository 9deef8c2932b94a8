import { InputError } from '../input-error.js';
import { findMetric, METRICS, type MetricDef } from '../metrics/index.js';
import type { PointFailure, PointRecord } from '../experiment/point-record.js';
import type { StoredResults } from '../experiment/results-dir.js';
import type { PointResult } from '../experiment/run-point.js';
import { groupReplicates, meanCi } from './replicates.js';

/** A metric `sim compare` can check, and which way is better (an entry of the metric catalog). */
export type CompareMetric = MetricDef;

/** Every catalog metric; older names (ttft_p50_ms, ...) select the median. */
export const COMPARE_METRICS: readonly CompareMetric[] = METRICS;

export const DEFAULT_COMPARE_METRICS = ['ttft_median_ms', 'ttft_p99_ms', 'tpot_median_ms', 'tpot_p99_ms', 'e2e_p99_ms', 'throughput_rps', 'slo_attainment', 'goodput_rps'];

export type Verdict = 'ok' | 'better' | 'worse' | 'failed' | 'missing';

export interface CompareRow {
  id: string;
  /** A metric name, or "point" for a point that failed or is missing in the candidate. */
  metric: string;
  baseline: number | null;
  candidate: number | null;
  /** (candidate − baseline) / |baseline|; null when either side has no value. */
  change: number | null;
  verdict: Verdict;
  note?: string;
}

export interface Comparison {
  name: string;
  rows: CompareRow[];
  /** Rows that fail the check: worse beyond tolerance, or a point failed or missing in the candidate. */
  regressions: number;
  /** Points only the candidate has (not checked). */
  extra: string[];
  /** Points that failed in the baseline: nothing to check them against. */
  unchecked: string[];
}

/** "2%" → 0.02, "0.02" → 0.02. */
export function parseTolerance(spec: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(spec);
  if (!m) throw new InputError(`--tolerance "${spec}" is not a number or a percentage (e.g. 2%)`);
  return Number(m[1]) / (m[2] ? 100 : 1);
}

/** Metric names from "--metrics a,b"; InputError for one it does not know. */
export function parseMetrics(spec: string | readonly string[] | undefined): CompareMetric[] {
  const names = spec === undefined ? DEFAULT_COMPARE_METRICS : (typeof spec === 'string' ? [spec] : spec).flatMap((s) => s.split(','));
  return names
    .map((n) => n.trim())
    .filter(Boolean)
    .map((n) => {
      const m = findMetric(n);
      if (!m) throw new InputError(`unknown metric "${n}" (known: ${COMPARE_METRICS.map((x) => x.name).join(', ')})`);
      return m;
    });
}

const isFailure = (r: PointRecord): r is PointFailure => typeof (r as PointFailure).error === 'string';

/**
 * Compares a candidate's results with a baseline's, point by point (matched by id, which hashes
 * the whole configuration) and metric by metric. Results of different experiments, or with no
 * point in common, cannot be compared: InputError.
 */
export function compareResults(baseline: StoredResults, candidate: StoredResults, metrics: readonly CompareMetric[], tolerance: number): Comparison {
  const b = baseline.manifest;
  const c = candidate.manifest;
  if (b.name !== c.name) {
    throw new InputError(`${baseline.dir} and ${candidate.dir} hold different experiments ("${b.name}" and "${c.name}")`);
  }
  const candIndex = new Map(c.points.map((p, i) => [p.id, i]));
  if (!b.points.some((p) => candIndex.has(p.id))) {
    throw new InputError(`${baseline.dir} and ${candidate.dir} have no point in common: "${b.name}" was run with different settings (seed, sweep or configuration)`);
  }
  // A baseline that lost point records would pass by checking less: refused, not passed.
  const lost = b.points.filter((_, i) => baseline.records[i] === undefined).map((p) => `points/${p.id}.json`);
  if (lost.length > 0) {
    throw new InputError(
      `the baseline is incomplete: ${lost.length} of its ${b.points.length} points have no record (${lost.slice(0, 3).join(', ')}${lost.length > 3 ? ', ...' : ''}); finish it (sim run --resume) or compare against a complete one`,
      baseline.dir,
    );
  }
  const rows: CompareRow[] = [];
  const unchecked: string[] = [];
  const baseResults = baseline.records.filter((r): r is PointResult => r !== undefined && !isFailure(r));
  if (baseResults.length === 0) throw new InputError(`every point of the baseline failed (${b.points.length}): nothing to hold the candidate to`, baseline.dir);
  const replicated = groupReplicates(baseResults).some((g) => g.results.length > 1);
  b.points.forEach((p, i) => {
    if (replicated) return; // compared per group below
    const base = baseline.records[i];
    if (!base || isFailure(base)) {
      unchecked.push(p.id); // nothing to hold the candidate to: said, not silently passed
      return;
    }
    const j = candIndex.get(p.id);
    const cand = j === undefined ? undefined : candidate.records[j];
    if (!cand || isFailure(cand)) {
      const verdict = cand ? 'failed' : 'missing';
      rows.push({ id: p.id, metric: 'point', baseline: null, candidate: null, change: null, verdict, note: cand && isFailure(cand) ? cand.error : undefined });
      return;
    }
    for (const m of metrics) rows.push(compareMetric(p.id, m, base, cand, tolerance));
  });
  if (replicated) rows.push(...compareReplicates(baseResults, candidate, candIndex, metrics, tolerance));
  const baseIds = new Set(b.points.map((p) => p.id));
  return {
    name: b.name,
    rows,
    regressions: rows.filter((r) => r.verdict === 'worse' || r.verdict === 'failed' || r.verdict === 'missing').length,
    extra: c.points.filter((p) => !baseIds.has(p.id)).map((p) => p.id),
    unchecked,
  };
}

function compareMetric(id: string, m: CompareMetric, base: PointResult, cand: PointResult, tolerance: number): CompareRow {
  return compareValues(id, m, m.get(base), m.get(cand), tolerance);
}

/** One metric's verdict from its baseline and candidate values (null or not finite: no value). */
export function compareValues(id: string, m: CompareMetric, baseline: number | null, candidate: number | null, tolerance: number): CompareRow {
  const finite = (x: number | null) => (x === null || !Number.isFinite(x) ? null : x);
  const bv = finite(baseline);
  const cv = finite(candidate);
  const row = { id, metric: m.name, baseline: bv, candidate: cv };
  if (bv === null) return { ...row, change: null, verdict: 'ok' };
  if (cv === null) return { ...row, change: null, verdict: 'worse', note: 'no value in the candidate' };
  const change = cv === bv ? 0 : bv === 0 ? Math.sign(cv - bv) * Infinity : (cv - bv) / Math.abs(bv);
  const gain = m.better === 'lower' ? -change : change;
  const verdict: Verdict = gain < -tolerance ? 'worse' : gain > tolerance ? 'better' : 'ok';
  return { ...row, change, verdict };
}

/**
 * With replicates, each group of seeds is one check per metric: a change counts only when it is
 * beyond the tolerance and beyond noise, i.e. the means differ by more than the two 95% CI half
 * widths combined (sqrt(hb² + hc²)). A replicate missing or failed in the candidate fails.
 */
function compareReplicates(
  baseResults: readonly PointResult[],
  candidate: StoredResults,
  candIndex: ReadonlyMap<string, number>,
  metrics: readonly CompareMetric[],
  tolerance: number,
): CompareRow[] {
  const rows: CompareRow[] = [];
  for (const g of groupReplicates(baseResults)) {
    const id = `${g.results[0].id} (${g.results.length} seeds)`;
    const cands: PointResult[] = [];
    let lost: CompareRow | undefined;
    for (const r of g.results) {
      const j = candIndex.get(r.id);
      const c = j === undefined ? undefined : candidate.records[j];
      if (!c || isFailure(c)) {
        lost ??= { id, metric: 'point', baseline: null, candidate: null, change: null, verdict: c ? 'failed' : 'missing', note: `seed ${r.seed}` };
      } else cands.push(c);
    }
    if (lost) {
      rows.push(lost);
      continue;
    }
    for (const m of metrics) {
      const bs = meanCi(g.results.map((r) => m.get(r)));
      const cs = meanCi(cands.map((r) => m.get(r)));
      const row = { id, metric: m.name, baseline: bs?.mean ?? null, candidate: cs?.mean ?? null };
      if (!bs) {
        rows.push({ ...row, change: null, verdict: 'ok' });
        continue;
      }
      if (!cs) {
        rows.push({ ...row, change: null, verdict: 'worse', note: 'no value in the candidate' });
        continue;
      }
      const diff = cs.mean - bs.mean;
      const change = diff === 0 ? 0 : bs.mean === 0 ? Math.sign(diff) * Infinity : diff / Math.abs(bs.mean);
      const gain = m.better === 'lower' ? -change : change;
      const noise = Math.hypot(bs.half, cs.half);
      const beyondNoise = Math.abs(diff) > noise;
      const verdict: Verdict = gain < -tolerance && beyondNoise ? 'worse' : gain > tolerance && beyondNoise ? 'better' : 'ok';
      const note = Math.abs(gain) > tolerance && !beyondNoise ? `within noise ±${noise.toPrecision(3)}` : undefined;
      rows.push({ ...row, change, verdict, ...(note && { note }) });
    }
  }
  return rows;
}
