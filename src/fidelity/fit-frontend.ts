import type { FidelityReport } from './fidelity.js';

/**
 * The front-end latency F (ms) that best explains the measured TTFT means of a report simulated
 * with no front-end latency. A constant on the request or response path shifts every TTFT (and
 * E2E) by exactly F without changing what the engine does under open-loop arrivals, so
 * simulated TTFT = s + F and F minimizes Σ ((s_i + F − m_i) / m_i)² in closed form:
 * F = Σ (m_i − s_i) / m_i² / Σ 1 / m_i², over the runs given by `use` (at least 0).
 */
export function fitFrontendMs(report: FidelityReport, use: (run: FidelityReport['runs'][number]) => boolean = () => true): number {
  let num = 0;
  let den = 0;
  for (const run of report.runs) {
    if (run.skipped || !use(run)) continue;
    const s = run.scopes[0];
    const m = s.measured.ttftMean;
    const x = s.simulated.ttftMean;
    if (m === undefined || x === undefined || !(m > 0)) continue;
    num += (m - x) / (m * m);
    den += 1 / (m * m);
  }
  // A negative latency is no front end: the engine side is already too slow.
  return den > 0 ? Math.max(0, num / den) : 0;
}
