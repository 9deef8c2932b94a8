import type { PointResult } from '../experiment/run-point.js';

/**
 * Replicates: runs of one sweep point that differ only in their seed. The report and `sim
 * compare` treat them as samples of one configuration, summarized by a mean and a 95%
 * confidence interval (Student t, n − 1 degrees of freedom).
 */
export interface ReplicateGroup {
  /** The swept values without the seed. */
  point: Record<string, unknown>;
  /** Canonical text of `point`, the group's identity. */
  key: string;
  results: PointResult[];
}

/** A metric over replicates: mean, the CI's half width (0 for one replicate), and how many values. */
export interface MeanCi {
  mean: number;
  half: number;
  n: number;
}

/** Two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom (standard tables). */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101,
  2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** t quantile for a 95% two-sided interval; beyond 30 df the Cornish-Fisher expansion around z = 1.96. */
export function tQuantile975(df: number): number {
  if (df < 1) return NaN;
  if (df <= 30) return T975[df - 1];
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df * df);
}

/** Mean and 95% CI half width of the finite values; null when there are none. */
export function meanCi(values: readonly (number | null | undefined)[]): MeanCi | null {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const n = xs.length;
  if (n === 0) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, half: 0, n };
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1);
  return { mean, half: tQuantile975(n - 1) * Math.sqrt(variance / n), n };
}

/** The swept values of a result without its seed. */
export function withoutSeed(point: Record<string, unknown>): Record<string, unknown> {
  const { seed: _seed, ...rest } = point;
  return rest;
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, x[k]])) : x,
  );
}

/**
 * Results grouped by their swept values other than the seed, in first-seen order. Only points
 * whose seed was swept (replicates, or a seed sweep) are grouped; any other point is its own group.
 */
export function groupReplicates(results: readonly PointResult[]): ReplicateGroup[] {
  const groups = new Map<string, ReplicateGroup>();
  for (const r of results) {
    const point = withoutSeed(r.point);
    const key = replicateKey(r);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { point, key, results: [] }));
    g.results.push(r);
  }
  return [...groups.values()];
}

/** The configuration a point (a result or a manifest entry) belongs to: its swept values but the seed. */
export function replicateKey(p: { id: string; point: Record<string, unknown> }): string {
  return Object.hasOwn(p.point, 'seed') ? canonical(withoutSeed(p.point)) : `id:${p.id}`;
}

/** "seed 1", "seeds 1–5", or "seeds 1, 4, 9": the seeds actually run. */
export function seedsText(seeds: readonly number[]): string {
  const s = [...new Set(seeds)].sort((a, b) => a - b);
  if (s.length === 0) return 'no seed';
  if (s.length === 1) return `seed ${s[0]}`;
  const consecutive = s.every((v, i) => i === 0 || v === s[i - 1] + 1);
  return consecutive ? `seeds ${s[0]}–${s[s.length - 1]}` : `seeds ${s.join(', ')}`;
}
