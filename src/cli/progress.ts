import cliProgress from 'cli-progress';
import type { RunProgress } from '../experiment/run-experiment.js';

/** What `sim run` shows while points run; a no-op when there is no terminal to draw on. */
export interface Progress {
  start(total: number, done: number): void;
  update(p: RunProgress): void;
  stop(): void;
}

const NONE: Progress = { start() {}, update() {}, stop() {} };

/**
 * A progress bar of points done, running and failed, with an ETA. Only on a terminal: piped or
 * --json output must stay machine-readable.
 */
export function createProgress(label: string, enabled: boolean): Progress {
  if (!enabled || !process.stdout.isTTY) return NONE;
  const bar = new cliProgress.SingleBar({
    format: `${label} [{bar}] {value}/{total} points | {running} running | {failed} failed | ETA {eta_formatted}`,
    stream: process.stdout,
    hideCursor: true,
    clearOnComplete: true,
    etaBuffer: 20,
    fps: 5,
  });
  let started = false;
  return {
    start(total, done) {
      bar.start(total, done, { running: 0, failed: 0 });
      started = true;
    },
    update(p) {
      if (started) bar.update(p.done, { running: p.running, failed: p.failed });
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
