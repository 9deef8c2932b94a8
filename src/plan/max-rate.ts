/** The outcome of probing one request rate. */
export interface RateProbe<T> {
  rate: number;
  ok: boolean;
  result: T;
}

export interface MaxRateOptions {
  /** First rate tried; multiplied by `step` until a probe fails (or divided by it until one passes). */
  start: number;
  /** Bracketing factor (default 2). A start close to the answer brackets faster with a small step, e.g. 1.25. */
  step?: number;
  /** Stop when the bracket [pass, fail] is narrower than this fraction of the pass rate. */
  relativePrecision?: number;
  /** Rates above this are not tried. */
  maxRate?: number;
  /** Rates below this count as "cannot sustain any rate". */
  minRate?: number;
}

export interface MaxRateResult<T> {
  /** Largest rate that passed (0 when none did). */
  rate: number;
  /** The smallest rate that failed (Infinity when none did, up to maxRate). */
  failedAt: number;
  /** The passing probe at `rate`, if any. */
  best: RateProbe<T> | undefined;
  probes: RateProbe<T>[];
}

/**
 * The largest rate a system sustains, by bracketing then bisection, assuming that passing is
 * monotone in rate (if a rate passes, every lower rate does). `probe` runs one simulation.
 */
export async function findMaxRate<T>(
  probe: (rate: number) => Promise<{ ok: boolean; result: T }> | { ok: boolean; result: T },
  opts: MaxRateOptions,
): Promise<MaxRateResult<T>> {
  const precision = opts.relativePrecision ?? 0.05;
  const maxRate = opts.maxRate ?? Infinity;
  const minRate = opts.minRate ?? opts.start / 1024;
  const step = opts.step ?? 2;
  if (!(step > 1)) throw new Error(`findMaxRate: step must be > 1, got ${step}`);
  const probes: RateProbe<T>[] = [];
  const run = async (rate: number) => {
    const r = await probe(rate);
    const p = { rate, ok: r.ok, result: r.result };
    probes.push(p);
    return p;
  };
  let pass: RateProbe<T> | undefined;
  let failRate = Infinity;
  let p = await run(Math.min(opts.start, maxRate));
  if (p.ok) {
    pass = p;
    while (pass.rate < maxRate) {
      p = await run(Math.min(pass.rate * step, maxRate));
      if (!p.ok) {
        failRate = p.rate;
        break;
      }
      pass = p;
    }
  } else {
    failRate = p.rate;
    while (!pass) {
      const rate = failRate / step;
      if (rate < minRate) return { rate: 0, failedAt: failRate, best: undefined, probes };
      p = await run(rate);
      if (p.ok) pass = p;
      else failRate = rate;
    }
  }
  while (failRate !== Infinity && failRate - pass.rate > precision * pass.rate) {
    p = await run((pass.rate + failRate) / 2);
    if (p.ok) pass = p;
    else failRate = p.rate;
  }
  return { rate: pass.rate, failedAt: failRate, best: pass, probes };
}
