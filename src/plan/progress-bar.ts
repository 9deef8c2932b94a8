import cliProgress from 'cli-progress';
import type { PlanProgress } from './run-plan.js';

/** A plan's progress on stderr: the stage, searches or fleets done, simulations run. */
export interface PlanProgressBar {
  update(p: PlanProgress): void;
  stop(): void;
}

const NONE: PlanProgressBar = { update() {}, stop() {} };

/** Only on a terminal: stdout stays the table (or JSON), and piped stderr gets no escape codes. */
export function createPlanProgressBar(enabled: boolean): PlanProgressBar {
  if (!enabled || !process.stderr.isTTY) return NONE;
  const bar = new cliProgress.SingleBar({
    format: '{stage} [{bar}] {value}/{total} | {simulations} simulations',
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: true,
    fps: 5,
  });
  let shown = '';
  const stageName = (p: PlanProgress) => (p.stage === 'blocks' ? 'block capacities' : `verifying at ${p.target} req/s`);
  return {
    update(p) {
      const stage = stageName(p);
      if (stage !== shown) {
        if (shown) bar.stop();
        bar.start(p.total, p.done, { stage, simulations: p.simulations });
        shown = stage;
      } else {
        bar.update(p.done, { simulations: p.simulations });
      }
    },
    stop() {
      if (shown) bar.stop();
      shown = '';
    },
  };
}
