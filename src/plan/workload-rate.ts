import type { WorkloadConfig } from '../workload/index.js';
import { scaleRates } from '../workload/scale-rates.js';

/** The total request rate a workload offers (sum of source rates, or the mix's total rate); undefined for pure trace replay. */
export function totalRate(w: WorkloadConfig): number | undefined {
  if (w.rate !== undefined) return w.rate;
  let sum = 0;
  for (const s of w.sources) {
    if (s.rate === undefined) return undefined;
    sum += s.rate;
  }
  return sum;
}

/** A copy of the workload with every rate scaled so that the total is `rate` (source proportions kept, scale-rates.ts). */
export function withTotalRate(w: WorkloadConfig, rate: number): WorkloadConfig {
  const copy = structuredClone(w);
  if (copy.rate !== undefined) {
    copy.rate = rate;
    return copy;
  }
  const total = totalRate(w);
  if (total === undefined) throw new Error('a workload that replays trace timestamps has no rate to scale');
  const scaled = scaleRates(copy.sources.map((s) => s.rate!), rate);
  copy.sources.forEach((s, i) => (s.rate = scaled[i]));
  return copy;
}
