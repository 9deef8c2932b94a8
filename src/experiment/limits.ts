import { InputError } from '../input-error.js';
import type { WorkloadConfig } from '../workload/index.js';
import { RATE_KEY, type SweepSpec } from './sweep.js';

/**
 * Resource limits checked before anything is expanded or allocated, so a typo (`rate: 1e308`, a
 * sweep of a million points) is one line instead of minutes of work and an out-of-memory crash.
 * Larger runs split into several experiments or shards.
 */
export const MAX_SWEEP_POINTS = 100_000;
/** Requests one point may generate: a few tens of bytes each stay in memory for the summary. */
export const MAX_REQUESTS_PER_POINT = 20_000_000;

/** Number of points a sweep expands to, from the list lengths alone (nothing is built). */
export function countSweepPoints(sweep: SweepSpec | undefined): number {
  let n = 1;
  for (const [key, list] of Object.entries(sweep ?? {})) {
    if (list === undefined) continue;
    if (key === 'zip') for (const group of list as Record<string, unknown[]>[]) n *= Object.values(group)[0]?.length ?? 1;
    else n *= list.length;
  }
  return n;
}

export function checkSweepSize(sweep: SweepSpec | undefined, file: string, where: (p: PropertyKey[]) => string): number {
  const n = countSweepPoints(sweep);
  if (n > MAX_SWEEP_POINTS) {
    const dims = Object.entries(sweep ?? {})
      .filter(([, l]) => l !== undefined)
      .map(([k, l]) => (k === 'zip' ? `zip (${(l as Record<string, unknown[]>[]).map((g) => Object.values(g)[0]?.length ?? 1).join(' x ')})` : `${k === 'rates' ? RATE_KEY + 's' : k} (${l!.length})`))
      .join(' x ');
    throw new InputError(
      `the sweep has ${n.toLocaleString('en-US')} points (${dims}); the limit is ${MAX_SWEEP_POINTS.toLocaleString('en-US')} per experiment: split it into several files`,
      file,
      where(['sweep']),
    );
  }
  return n;
}

/**
 * Requests a synthetic workload will generate (rate x duration, or `requests`); undefined when
 * it is given by traces only (their length is the file's).
 */
export function expectedRequests(w: WorkloadConfig): number | undefined {
  if (w.stages !== undefined) {
    const staged = w.stages.reduce((n, s) => n + s.rate * s.duration, 0);
    return w.requests === undefined ? staged : Math.min(w.requests, staged);
  }
  const rate = w.rate ?? w.sources.reduce((a, s) => a + (s.rate ?? 0), 0);
  const byTime = w.duration !== undefined && rate > 0 ? rate * w.duration : undefined;
  if (w.requests !== undefined) return byTime === undefined ? w.requests : Math.min(w.requests, byTime);
  return byTime;
}

export function checkRequestCount(w: WorkloadConfig, file: string, where: (p: PropertyKey[]) => string): void {
  const n = expectedRequests(w);
  if (n === undefined || n <= MAX_REQUESTS_PER_POINT) return;
  let field: (string | number)[] = ['workload', 'duration'];
  if (w.requests !== undefined && n === w.requests) field = ['workload', 'requests'];
  else if (w.stages !== undefined) {
    // The stage that contributes most.
    const top = w.stages.reduce((best, s, i, all) => (s.rate * s.duration > all[best].rate * all[best].duration ? i : best), 0);
    field = ['workload', 'stages', top];
  } else if (w.rate !== undefined) field = ['workload', 'rate'];
  else {
    // The source with the highest rate is the likely typo.
    let top = -1;
    w.sources.forEach((s, i) => {
      if (s.rate !== undefined && (top < 0 || s.rate > w.sources[top].rate!)) top = i;
    });
    // More than a week of simulated time is the likelier typo; otherwise the rate.
    if (top >= 0 && !((w.duration ?? 0) > 7 * 24 * 3600)) field = ['workload', 'sources', top, 'rate'];
  }
  const shown = !Number.isFinite(n) ? 'more than 1e308' : `about ${n < 1e15 ? Math.round(n).toLocaleString('en-US') : n.toExponential(2)}`;
  throw new InputError(
    `the workload would generate ${shown} requests (rate x duration); the limit is ${MAX_REQUESTS_PER_POINT.toLocaleString('en-US')} per point: lower the rate, the duration or requests`,
    file,
    where(field),
  );
}
