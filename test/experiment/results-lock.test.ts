import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

// A disk that fills up between creating the lock file and writing it.
const full = vi.hoisted(() => ({ on: false }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    writeSync: (...args: Parameters<typeof fs.writeSync>) => {
      if (full.on) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return (fs.writeSync as (...a: unknown[]) => number)(...args);
    },
  };
});

const { ResultsLock } = await import('../../src/experiment/results-lock.js');

describe('the results lock on a full disk', () => {
  it('leaves no empty lock file behind, so the next run is not blocked', () => {
    const dir = mkdtempSync(join(tmpdir(), 'routesim-lock-'));
    full.on = true;
    expect(() => ResultsLock.acquire(dir, 'sim run x.yaml')).toThrow(/cannot create lock file run\.lock \(ENOSPC\)/);
    expect(existsSync(join(dir, 'run.lock'))).toBe(false);
    full.on = false;
    const lock = ResultsLock.acquire(dir, 'sim run x.yaml');
    expect(existsSync(join(dir, 'run.lock'))).toBe(true);
    lock.release();
  });
});

describe('the prepare lock shards take while they prepare a shared directory', () => {
  it('takes over a lock whose process is gone, and one that outlasts the wait; removes it after', async () => {
    const { withPrepareLock } = await import('../../src/experiment/results-lock.js');
    const { hostname } = await import('node:os');
    const { writeFileSync: write } = await import('node:fs');
    const dir = mkdtempSync(join(tmpdir(), 'routesim-prep-'));
    const lock = join(dir, 'prepare.lock');
    write(lock, JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname() }));
    expect(withPrepareLock(dir, () => 'ran')).toBe('ran');
    expect(existsSync(lock)).toBe(false);
    // Held by a live process (this one): waited for, until the wait runs out.
    write(lock, JSON.stringify({ pid: process.pid, host: hostname() }));
    let t = 0;
    expect(withPrepareLock(dir, () => 'later', () => (t += 30_000))).toBe('later');
    expect(t).toBeGreaterThan(120_000);
    expect(existsSync(lock)).toBe(false);
  });
});
