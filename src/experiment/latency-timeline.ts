import { Column, quantile, sortedFinite, type RequestOutcome } from '../metrics/index.js';

/** Tail latency over the run, by arrival time: what a latency-over-time plot draws. */
export interface LatencyTimeline {
  /** Width of each window, seconds; window i covers arrivals in [i·w, (i+1)·w). */
  window_s: number;
  /** P99 TTFT and E2E of the requests completed among each window's arrivals (null: none completed). */
  ttft_p99_ms: (number | null)[];
  e2e_p99_ms: (number | null)[];
  /** Requests arriving in each window that were rejected. */
  rejected: number[];
}

/** About this many windows over the run: enough to see a burst, few enough to keep a p99 meaningful. */
const WINDOWS = 60;

/** Collects each request's arrival and latencies (three numbers a request) and bins them at the end. */
export class TimelineCollector {
  private readonly arrival = new Column();
  private readonly ttft = new Column();
  private readonly e2e = new Column();

  onOutcome(o: RequestOutcome): void {
    this.arrival.push(o.arrival);
    if (o.rejection) {
      this.ttft.push(NaN);
      this.e2e.push(NaN);
      return;
    }
    // As the client sees them, like the run's TTFT and E2E (and the SLO they are judged by).
    this.ttft.push(o.firstToken - o.arrival);
    this.e2e.push(o.finished - o.arrival);
  }

  summarize(): LatencyTimeline {
    const arrivals = this.arrival.values();
    let last = 0;
    for (const a of arrivals) last = Math.max(last, a);
    const window = niceWidth(last / WINDOWS);
    const bins = Math.max(1, Math.floor(last / window) + 1);
    const ttft: number[][] = Array.from({ length: bins }, () => []);
    const e2e: number[][] = Array.from({ length: bins }, () => []);
    const rejected = new Array<number>(bins).fill(0);
    for (let i = 0; i < arrivals.length; i++) {
      const b = Math.min(bins - 1, Math.floor(arrivals[i] / window));
      const t = this.ttft.get(i);
      if (Number.isNaN(t)) rejected[b]++;
      else {
        ttft[b].push(t);
        e2e[b].push(this.e2e.get(i));
      }
    }
    const p99 = (xs: number[]) => {
      const s = sortedFinite(Float64Array.from(xs));
      return s.length === 0 ? null : Math.round(quantile(s, 0.99) * 1e6) / 1e3;
    };
    return { window_s: window, ttft_p99_ms: ttft.map(p99), e2e_p99_ms: e2e.map(p99), rejected };
  }
}

/** The smallest of 1, 2, 5 × 10^k seconds at least `w` (at least 0.1 s). */
function niceWidth(w: number): number {
  if (!(w > 0.1)) return 0.1;
  const p = 10 ** Math.floor(Math.log10(w));
  for (const m of [1, 2, 5, 10]) if (m * p >= w) return Math.round(m * p * 1e6) / 1e6;
  return 10 * p;
}
