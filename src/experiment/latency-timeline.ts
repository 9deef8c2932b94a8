import { Column, quantile, sortedFinite, type RequestOutcome } from '../metrics/index.js';

/**
 * Tail latency over the run, by arrival time: what a latency-over-time plot draws. A rolling
 * p99: one value every `step_s` seconds, each over the arrivals in the `window_s`-second window
 * centred on it (windows overlap when requests are too sparse to fill one step).
 */
export interface LatencyTimeline {
  /**
   * Width of each window, seconds. Value i is over arrivals in [(i + ½)·step − window/2,
   * (i + ½)·step + window/2). Results written before step_s existed have step = window.
   */
  window_s: number;
  /** Spacing of the values, seconds (absent in older results: equal to window_s). */
  step_s?: number;
  /** P99 TTFT and E2E of the requests completed among each window's arrivals (null: none completed). */
  ttft_p99_ms: (number | null)[];
  e2e_p99_ms: (number | null)[];
  /** Requests arriving in each step [i·step, (i+1)·step) that were rejected (they add up to the run's). */
  rejected: number[];
}

/**
 * About this many values over the run, whatever its length (the step is rounded to 1, 2 or 5 ×
 * 10^k s, so 63 to 158): a 10-minute and a 10-hour run read alike.
 */
const POINTS = 100;
/** Arrivals a window should hold on average for its p99 to mean something; sparser runs widen the window. */
const PER_WINDOW = 100;

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
    const { step, span } = timelineWindow(last, arrivals.length);
    const bins = Math.max(1, Math.floor(last / step) + 1);
    const ttft: number[][] = Array.from({ length: bins }, () => []);
    const e2e: number[][] = Array.from({ length: bins }, () => []);
    const rejected = new Array<number>(bins).fill(0);
    for (let i = 0; i < arrivals.length; i++) {
      const b = Math.min(bins - 1, Math.floor(arrivals[i] / step));
      const t = this.ttft.get(i);
      if (Number.isNaN(t)) rejected[b]++;
      else {
        ttft[b].push(t);
        e2e[b].push(this.e2e.get(i));
      }
    }
    const half = (span - 1) / 2;
    const rolling = (perBin: number[][]) =>
      perBin.map((_, i) => {
        const xs: number[] = [];
        for (let b = Math.max(0, i - half); b <= Math.min(bins - 1, i + half); b++) for (const x of perBin[b]) xs.push(x);
        const s = sortedFinite(Float64Array.from(xs));
        return s.length === 0 ? null : Math.round(quantile(s, 0.99) * 1e6) / 1e3;
      });
    return { window_s: round6(step * span), step_s: step, ttft_p99_ms: rolling(ttft), e2e_p99_ms: rolling(e2e), rejected };
  }
}

/**
 * The timeline's step (seconds) and window (an odd number of steps) for a run whose last arrival
 * is at `duration` s with `requests` arrivals: about POINTS steps, and the narrowest window that
 * holds PER_WINDOW arrivals on average (one step when a step already does).
 */
export function timelineWindow(duration: number, requests: number): { step: number; span: number } {
  const step = niceWidth(duration / POINTS);
  const steps = Math.max(1, Math.floor(duration / step) + 1);
  const perStep = requests / steps;
  let span = perStep > 0 ? Math.ceil(PER_WINDOW / perStep) : 1;
  if (span % 2 === 0) span++;
  return { step, span: Math.max(1, Math.min(span, 2 * steps - 1)) };
}

/** The nearest (in ratio) of 1, 2, 5 × 10^k seconds to `w`, at least 0.1 s. */
function niceWidth(w: number): number {
  if (!(w > 0.1)) return 0.1;
  const p = 10 ** Math.floor(Math.log10(w));
  let best = p;
  for (const m of [1, 2, 5, 10]) if (Math.abs(Math.log(m * p / w)) < Math.abs(Math.log(best / w))) best = m * p;
  return round6(best);
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
