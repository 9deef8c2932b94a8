import type { BatchShape, TimingModel } from '../hardware/index.js';

/**
 * Inter-token gaps pooled over every request of a benchmark point, as AIBrix's benchmark reports
 * TPOT (vllm-project/aibrix@e3e10f9e:python/aibrix/aibrix/gpu_optimizer/optimizer/profiling/gpu_benchmark.py:
 * each request appends now - previous chunk time for every streamed chunk after the first, and
 * the point's TPOT mean/P50/P90/P99 are numpy's over all requests' gaps concatenated).
 *
 * On one instance a decoding sequence gets one token at the end of every step it decodes in, and
 * steps with decodes run back to back, so each such gap is the duration of the step that made the
 * token. The pool is therefore every step's duration counted once per sequence it decoded: a
 * wrapper around the timing model records (duration, decodes) per step and nothing in the
 * instance changes.
 */
export class GapRecorder implements TimingModel {
  readonly name: string;
  private durations: number[] = [];
  private weights: number[] = [];

  constructor(private readonly inner: TimingModel) {
    this.name = inner.name;
  }

  stepTime(batch: BatchShape): number {
    const d = this.inner.stepTime(batch);
    if (batch.decodeSeqs > 0) {
      this.durations.push(d);
      this.weights.push(batch.decodeSeqs);
    }
    return d;
  }

  /** Starts a new benchmark point. */
  reset(): void {
    this.durations = [];
    this.weights = [];
  }

  stats(): GapStats {
    return weightedStats(this.durations, this.weights);
  }
}

export interface GapStats {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
}

/**
 * Mean and percentiles of values repeated `weights[i]` times, percentiles with numpy's default
 * linear interpolation between order statistics (rank p x (n - 1)). No values: all 0, as
 * gpu_benchmark.py uses [0.0] when no request streamed a second token.
 */
export function weightedStats(values: readonly number[], weights: readonly number[]): GapStats {
  const order = values.map((_, i) => i).sort((a, b) => values[a] - values[b] || a - b);
  let n = 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    n += weights[i];
    sum += values[i] * weights[i];
  }
  if (n === 0) return { count: 0, mean: 0, p50: 0, p90: 0, p99: 0 };
  const at = (rank: number): number => {
    // Value of the order statistic at 0-based position `rank` of the expanded list.
    let seen = 0;
    for (const i of order) {
      seen += weights[i];
      if (rank < seen) return values[i];
    }
    return values[order[order.length - 1]];
  };
  const pct = (p: number): number => {
    const r = (p / 100) * (n - 1);
    const lo = Math.floor(r);
    const a = at(lo);
    const b = lo + 1 < n ? at(lo + 1) : a;
    return a + (b - a) * (r - lo);
  };
  return { count: n, mean: sum / n, p50: pct(50), p90: pct(90), p99: pct(99) };
}
