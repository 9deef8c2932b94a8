import type { FidelityReport } from './fidelity.js';

/**
 * The front-end latency F (ms) that best explains the measured TTFT means of a report simulated
 * with no front-end latency. A constant on the request or response path shifts every TTFT (and
 * E2E) by exactly F without changing what the engine does under open-loop arrivals, so
 * simulated TTFT = s + F, and F minimizes the sum of relative absolute errors
 * Σ |s_i + F − m_i| / m_i: the median of the gaps m_i − s_i weighted by 1 / m_i (an L1 fit, so
 * a run the engine model cannot sustain does not drag the constant). At least 0.
 */
export function fitFrontendMs(report: FidelityReport, use: (run: FidelityReport['runs'][number]) => boolean = () => true): number {
  const gaps: { gap: number; weight: number }[] = [];
  for (const run of report.runs) {
    if (run.skipped || !use(run)) continue;
    const s = run.scopes[0];
    const m = s.measured.ttftMean;
    const x = s.simulated.ttftMean;
    if (m === undefined || x === undefined || !(m > 0)) continue;
    gaps.push({ gap: m - x, weight: 1 / m });
  }
  if (gaps.length === 0) return 0;
  gaps.sort((a, b) => a.gap - b.gap);
  const half = gaps.reduce((t, g) => t + g.weight, 0) / 2;
  let acc = 0;
  for (const g of gaps) {
    acc += g.weight;
    // A negative latency is no front end: the engine side is already too slow.
    if (acc >= half) return Math.max(0, g.gap);
  }
  return Math.max(0, gaps[gaps.length - 1].gap);
}
