import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPoints } from '../../src/experiment/check-points.js';
import { loadExperiment } from '../../src/experiment/load.js';
import { ROOT } from '../sweep/helpers.js';

const SUITE = join(ROOT, 'experiments', 'regression');

describe('experiments/regression', () => {
  const files = readdirSync(SUITE).filter((f) => f.endsWith('.yaml'));

  it('is a few small experiments with distinct names', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
    const names = files.map((f) => loadExperiment(join(SUITE, f)).name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^regression-/);
  });

  for (const f of files) {
    it(`${f} is valid and short (at most 60 simulated seconds a point)`, async () => {
      const exp = loadExperiment(join(SUITE, f));
      await checkPoints(exp);
      for (const p of exp.points) expect(p.config.workload.duration).toBeLessThanOrEqual(60);
    });
  }
});
