import { Column } from './column.js';
import { weightedDistribution } from './gap-pool.js';
import { emptyDistribution, type Distribution } from './stats.js';

/**
 * Inter-token gaps per workload class, pooled within each class as GapPool pools them over the
 * run (vLLM's ITL: every gap of every request of the class, concatenated).
 *
 * Each server rank keeps a log of its decode steps' durations (8 bytes a step). A request that
 * decoded without preemption got one token per decode step of its rank from its first token to
 * its last, so its gaps are the durations of that rank's last `count` decode steps when it
 * ends: the outcome record names the log and the count, and the class adds the range to a
 * difference array over the log (O(1) a request, nothing per token). At the end each step's
 * class weight is a prefix sum. Only kept for runs with several classes.
 */
export class ClassGaps {
  private readonly logs: Column[] = [];
  /** diffs[class][log]: +1 where a range of the class starts, −1 after it ends. */
  private readonly diffs: (Float64Array | undefined)[][];
  /** Gaps attributed to each class, and their sum (seconds). */
  readonly counted: number[];

  constructor(
    classes: number,
    /** False: logs nothing (one class: the run's pool is the class's). */
    readonly enabled: boolean,
  ) {
    this.diffs = Array.from({ length: classes }, () => []);
    this.counted = new Array<number>(classes).fill(0);
  }

  /** A new step log (one per server rank); returns its index. */
  newLog(): number {
    this.logs.push(new Column(this.enabled ? 1024 : 1));
    return this.logs.length - 1;
  }

  /** A decode step of `duration` seconds on the rank of `log`. */
  step(log: number, duration: number): void {
    if (this.enabled) this.logs[log].push(duration);
  }

  /** A request of class `c` got its last `count` gaps from the last `count` decode steps of `log`. */
  add(c: number, log: number, count: number): void {
    if (!this.enabled || count <= 0 || log < 0) return;
    const end = this.logs[log].length;
    const n = Math.min(count, end);
    let d = this.diffs[c][log];
    if (!d || d.length <= end) {
      const next = new Float64Array(Math.max(1024, 2 * (end + 1)));
      if (d) next.set(d);
      d = this.diffs[c][log] = next;
    }
    d[end - n] += 1;
    d[end] -= 1;
    this.counted[c] += n;
  }

  /**
   * Class `c`'s gaps (seconds), plus `extraCount` gaps of `extraGap` (those no range covered:
   * tokens recomputed after a preemption, and what was decoded before it).
   */
  distribution(c: number, extraGap = 0, extraCount = 0): Distribution {
    const values: number[] = [];
    const weights: number[] = [];
    this.diffs[c].forEach((d, log) => {
      if (!d) return;
      const durations = this.logs[log].values();
      let w = 0;
      // Past the end of `d` no range of the class is open (each closes within it).
      for (let s = 0; s < Math.min(d.length, durations.length); s++) {
        w += d[s];
        if (w > 0) {
          values.push(durations[s]);
          weights.push(w);
        }
      }
    });
    if (extraCount > 0) {
      values.push(extraGap);
      weights.push(extraCount);
    }
    return values.length === 0 ? emptyDistribution() : weightedDistribution(Float64Array.from(values), Float64Array.from(weights));
  }

  /** Sum of the durations attributed to class `c`, seconds. */
  countedSum(c: number): number {
    let sum = 0;
    this.diffs[c].forEach((d, log) => {
      if (!d) return;
      const durations = this.logs[log].values();
      let w = 0;
      // Past the end of `d` no range of the class is open (each closes within it).
      for (let s = 0; s < Math.min(d.length, durations.length); s++) {
        w += d[s];
        sum += w * durations[s];
      }
    });
    return sum;
  }
}
