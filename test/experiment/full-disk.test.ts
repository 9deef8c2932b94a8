import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureBuilt, smallExperiment, tempDir, writeExperiment } from '../sweep/helpers.js';

// A disk that refuses the writes whose path matches `full.match`.
const full = vi.hoisted(() => ({ match: undefined as RegExp | undefined }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const writeFileSync = (path: unknown, ...rest: unknown[]) => {
    if (full.match && typeof path === 'string' && full.match.test(path)) {
      throw Object.assign(new Error(`ENOSPC: no space left on device, open '${path}'`), { code: 'ENOSPC' });
    }
    return (fs.writeFileSync as (...a: unknown[]) => void)(path, ...rest);
  };
  return { ...fs, default: { ...fs, writeFileSync }, writeFileSync };
});

const { runExperimentFile } = await import('../../src/experiment/run-experiment.js');
const dir = tempDir();
beforeAll(ensureBuilt);

describe('a full disk during a run', () => {
  const file = () =>
    writeExperiment(dir, 'disk', smallExperiment('disk', { workload: { duration: 2, sources: [{ class: 'chat', dataset: 'sharegpt', rate: 3 }] }, sweep: { rates: [2, 3] } }));

  it('writes no summary when a point could not be saved: the run is not complete on disk', async () => {
    full.match = /points\/3-[0-9a-f]+\.json\.tmp/;
    const run = await runExperimentFile(file(), { resultsRoot: join(dir, 'a'), workers: 1 });
    full.match = undefined;
    expect(run.failures.map((f) => f.error)).toEqual([expect.stringMatching(/result not saved: .*ENOSPC/)]);
    expect(run.complete).toBe(false);
    expect(readdirSync(run.dir).filter((f) => f.startsWith('summary'))).toEqual([]);
  }, 60_000);

  it('writes both summaries or neither', async () => {
    full.match = /summary\.json\.tmp/;
    const run = await runExperimentFile(file(), { resultsRoot: join(dir, 'b'), workers: 1 });
    full.match = undefined;
    expect(run.complete).toBe(false);
    expect(existsSync(join(run.dir, 'summary.csv'))).toBe(false);
    expect(existsSync(join(run.dir, 'summary.json'))).toBe(false);
  }, 60_000);
});
