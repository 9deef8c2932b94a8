/**
 * What `sim run` of one point loads: the plotting libraries (vega, vega-lite) only at the report
 * stage, the worker-thread pool (piscina) only for points that run on threads, the progress bar
 * library only on a terminal, never the calibration or dataset-deriving code. Start-up time is measured by `npm run bench`; this checks the module
 * graph behind it, so an eager import of one of them fails here.
 */
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { cleanup, SMALL, tempDir, write } from '../experiment/fixtures.js';
import { sim } from './harness.js';

/** Packages imported so far by this file's module graph (each module is evaluated once per file). */
const loaded = vi.hoisted(() => new Set<string>());

vi.mock('vega', async (original) => {
  loaded.add('vega');
  return original();
});
vi.mock('vega-lite', async (original) => {
  loaded.add('vega-lite');
  return original();
});
vi.mock('piscina', async (original) => {
  loaded.add('piscina');
  return original();
});
vi.mock('../../src/hardware/calibrate.js', async (original) => {
  loaded.add('hardware/calibrate');
  return original();
});
vi.mock('../../src/workload/derive/index.js', async (original) => {
  loaded.add('workload/derive');
  return original();
});

/** cli-progress is loaded with require (synchronously, when a bar is drawn): look in the CommonJS cache. */
function cliProgressLoaded(): boolean {
  return Object.keys(createRequire(import.meta.url).cache).some((k) => /[\\/]cli-progress[\\/]/.test(k));
}

afterAll(cleanup);

describe('modules loaded by sim run', () => {
  // Order matters: the first run must see nothing loaded yet, the later ones load more.
  it('one point with --no-report: no plotting, thread pool or progress bar library', async () => {
    const r = await sim('run', write(tempDir(), 'small.yaml', SMALL), '--out', tempDir(), '--no-report');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Results:');
    expect([...loaded]).toEqual([]);
    expect(cliProgressLoaded()).toBe(false);
  });

  it('the report stage loads vega and vega-lite, and still no thread pool', async () => {
    const r = await sim('run', write(tempDir(), 'small.yaml', SMALL), '--out', tempDir());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Report:');
    expect(loaded.has('vega')).toBe(true);
    expect(loaded.has('vega-lite')).toBe(true);
    expect(loaded.has('piscina')).toBe(false);
    expect(loaded.has('hardware/calibrate')).toBe(false);
    expect(loaded.has('workload/derive')).toBe(false);
  });

  it('a sweep of two points loads the thread pool', async () => {
    const file = write(tempDir(), 'sweep.yaml', `${SMALL}sweep:\n  router.policy: [random, round-robin]\n`);
    const r = await sim('run', file, '--out', tempDir(), '--no-report', '--workers', '1');
    expect(r.code).toBe(0);
    expect(loaded.has('piscina')).toBe(true);
  });

  it('the calibration code loads when a command asks for the hardware index', async () => {
    const r = await sim('list', 'gpus');
    expect(r.code).toBe(0);
    expect(loaded.has('hardware/calibrate')).toBe(true);
  });
});
