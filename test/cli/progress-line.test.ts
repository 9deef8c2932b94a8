/**
 * The progress line of a single long point: drawn on a terminal (a pseudo-terminal from
 * script(1)), never into a pipe, where output must stay machine-readable.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, smallExperiment, tempDir, writeExperiment } from '../sweep/helpers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const hasScript = spawnSync('sh', ['-c', 'command -v script']).status === 0;
if (!hasScript) console.log('skipping the terminal progress test: no script(1) to make a pseudo-terminal');
const dir = tempDir('routesim-progress-');

describe.skipIf(!hasScript)('single-point progress line', () => {
  let file: string;
  beforeAll(() => {
    ensureBuilt();
    file = writeExperiment(dir, 'one', smallExperiment('one'));
  }, 120_000);

  it('shows seconds of arrivals simulated on a terminal, nothing when piped', () => {
    const cmd = `node ${join(root, 'dist/cli/main.js')} run ${file} --out ${join(dir, 'r')}`;
    const tty = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 120_000 });
    expect(tty.status).toBe(0);
    expect(tty.stdout).toMatch(/\] \d+\/20 s of arrivals simulated/);
    const piped = spawnSync('bash', ['-c', cmd], { encoding: 'utf8', timeout: 120_000 });
    expect(piped.status).toBe(0);
    expect(piped.stdout + piped.stderr).not.toMatch(/simulated \|/);
  }, 240_000);
});
