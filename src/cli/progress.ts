import { createRequire } from 'node:module';
import type cliProgressModule from 'cli-progress';
import type { RunProgress } from '../experiment/run-experiment.js';

/** cli-progress, loaded only when a bar is drawn: piped and --json runs never pay for it. */
function cliProgress(): typeof cliProgressModule {
  return createRequire(import.meta.url)('cli-progress') as typeof cliProgressModule;
}

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
  const bar = new (cliProgress().SingleBar)({
    format: `${label} [{bar}] {value}/{total} points | {running} running | {failed} failed | ETA {remaining}`,
    stream: process.stdout,
    hideCursor: true,
    clearOnComplete: true,
    fps: 5,
  });
  let started = false;
  let t0 = 0;
  let resumed = 0;
  // Points finished by this run so far and the time they took give the rate; resumed ones do not count.
  const eta = (p: RunProgress) => {
    const finished = p.done - resumed;
    if (finished <= 0) return '…';
    const s = Math.round((((Date.now() - t0) / finished) * (p.total - p.done)) / 1000);
    return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
  };
  return {
    start(total, done) {
      t0 = Date.now();
      resumed = done;
      bar.start(total, done, { running: 0, failed: 0, remaining: '…' });
      started = true;
    },
    update(p) {
      if (started) bar.update(p.done, { running: p.running, failed: p.failed, remaining: eta(p) });
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

/** The progress of one long point on a terminal: simulated seconds (or requests) of its workload. */
export interface PointProgress {
  update(done: number, total: number, unit: 's' | 'requests'): void;
  stop(): void;
}

/**
 * A point runs without yielding to the event loop, so the bar draws as it is updated (cli-progress
 * redraws within update() when its frame time has passed), never on a timer.
 */
export function createPointProgress(label: string, enabled: boolean): PointProgress {
  if (!enabled || !process.stdout.isTTY) return { update() {}, stop() {} };
  let bar: cliProgressModule.SingleBar | undefined;
  let t0 = 0;
  return {
    update(done, total, unit) {
      if (!bar) {
        bar = new (cliProgress().SingleBar)({
          format: `${label} [{bar}] {value}/{total} ${unit === 's' ? 's of arrivals' : 'requests'} simulated | ETA {remaining}`,
          stream: process.stdout,
          hideCursor: true,
          clearOnComplete: true,
          fps: 5,
          synchronousUpdate: true,
        });
        bar.start(Math.round(total), 0, { remaining: '…' });
        t0 = Date.now();
      }
      const s = done > 0 ? Math.round(((Date.now() - t0) / done) * (total - done) / 1000) : NaN;
      bar.update(Math.floor(done), { remaining: Number.isFinite(s) ? (s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`) : '…' });
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
