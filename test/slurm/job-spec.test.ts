import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJobSpec } from '../../src/slurm/job-spec.js';

describe('job.json read back by sim slurm merge', () => {
  it('refuses a name that would climb out of the output directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'routesim-job-'));
    const spec = { kind: 'plan', file: 'p.yaml', cwd: '/w', shards: 1, passes: 2, jobs: [] };
    for (const name of ['../../../esc', '..', 'a/b']) {
      writeFileSync(join(dir, 'job.json'), JSON.stringify({ ...spec, name }));
      expect(() => readJobSpec(dir)).toThrow(/job\.json: name: is not a safe results name/);
    }
    writeFileSync(join(dir, 'job.json'), JSON.stringify({ ...spec, name: 'small-plan' }));
    expect(readJobSpec(dir).name).toBe('small-plan');
  });
});
