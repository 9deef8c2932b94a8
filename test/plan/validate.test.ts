import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { lines, sim } from '../cli/harness.js';
import { cleanup, tempDir, write } from '../experiment/fixtures.js';

afterAll(cleanup);

const shipped = readFileSync(fileURLToPath(new URL('../../plans/sharegpt-bird.yaml', import.meta.url)), 'utf8');

describe('sim validate on plan files', () => {
  it('accepts the shipped plan', async () => {
    const file = write(tempDir(), 'plan.yaml', shipped);
    const r = await sim('validate', file);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${file}: ok (plan, 6 candidate GPU types)\n`);
  });

  it('names the file and field of an unknown candidate GPU, exit 2', async () => {
    const file = write(tempDir(), 'plan.yaml', shipped.replace('{gpu: L20,', '{gpu: L2O,'));
    const r = await sim('validate', file);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/plan\.yaml.*candidates.*1.*gpu.*L2O/);
  });
});
