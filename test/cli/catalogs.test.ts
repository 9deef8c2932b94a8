import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, SMALL, tempDir, write } from '../experiment/fixtures.js';
import { lines, sim } from './harness.js';

afterAll(cleanup);

const OWN_MODELS = `models:
  Tiny-MoE:
    layers: 4
    hiddenSize: 1024
    heads: 8
    kvHeads: 2
    headDim: 128
    intermediateSize: 4096
    vocabSize: 32000
    dtypeBytes: 2
    maxModelLen: 8192
    moe: { experts: 8, activeExperts: 2, expertIntermediateSize: 1024 }
`;

const OWN_GPUS = `gpus:
  H100-mine:
    extends: H100-SXM
    costPerHour: 1.5
`;

describe('experiment catalogs', () => {
  it("runs a model and GPU from the experiment's own catalog files, relative to the experiment", async () => {
    const dir = tempDir();
    write(dir, 'my-models.yaml', OWN_MODELS);
    write(dir, 'my-gpus.yaml', OWN_GPUS);
    const exp = SMALL.replace('model: Llama-3.1-8B', 'model: Tiny-MoE\ncatalogs:\n  models: my-models.yaml\n  gpus: my-gpus.yaml').replace(
      'gpu: H100-SXM',
      'gpu: H100-mine',
    );
    const out = tempDir();
    const r = await sim('run', write(dir, 'own.yaml', exp), '--json', '--out', out, '--no-report');
    expect(r.thrown).toBeUndefined();
    expect(r.code).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'small', 'summary.json'), 'utf8'));
    expect(JSON.stringify(summary)).toContain('H100-mine');
  });

  it('names the field when a catalog file is missing, exit 2', async () => {
    const dir = tempDir();
    const exp = SMALL.replace('model: Llama-3.1-8B', 'model: Llama-3.1-8B\ncatalogs:\n  models: nope.yaml');
    const r = await sim('run', write(dir, 'bad.yaml', exp), '--out', tempDir(), '--no-report');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/catalog file not found.*nope\.yaml/);
    expect(r.stderr).toContain('catalogs.models');
  });

  it("sim list shows the same files' entries", async () => {
    const dir = tempDir();
    const models = await sim('list', 'models', '--models', write(dir, 'm.yaml', OWN_MODELS));
    expect(models.code).toBe(0);
    const tiny = lines(models.stdout).find((l) => l.startsWith('Tiny-MoE'))!;
    expect(tiny).toMatch(/2\/8 experts/);
    expect(lines(models.stdout).some((l) => l.startsWith('DeepSeek-V3 '))).toBe(true);
    const gpus = await sim('list', 'gpus', '--gpus', write(dir, 'g.yaml', OWN_GPUS));
    expect(lines(gpus.stdout).some((l) => l.startsWith('H100-mine'))).toBe(true);
  });
});

describe('calibration status', () => {
  it("sim list gpus shows each GPU's status and source", async () => {
    const r = await sim('list', 'gpus');
    const row = (name: string): string => lines(r.stdout).find((l) => l.startsWith(name + ' '))!;
    expect(row('H100-SXM')).toMatch(/ calibrated +layers fitted to vidur_profiling h100/);
    expect(row('L20')).toMatch(/ inferred /);
    expect(row('RTX-4090')).toMatch(/ datasheet /);
  });

  it('a run on an uncalibrated GPU warns once on stderr and leaves the results as they were', async () => {
    const dir = tempDir();
    const l20 = SMALL.replace('gpu: H100-SXM', 'gpu: L20').replace('count: 2', 'count: 1\n  - gpu: L20\n    count: 1\n  - gpu: RTX-4090\n    count: 1');
    const out = tempDir();
    const r = await sim('run', write(dir, 'l20.yaml', l20), '--json', '--out', out, '--no-report');
    expect(r.code).toBe(0);
    const warnings = lines(r.stderr).filter((l) => l.startsWith('warning:'));
    expect(warnings).toEqual([expect.stringMatching(/uncalibrated GPUs in the fleet: L20 \(inferred\), RTX-4090 \(datasheet\)/)]);
    const summary = readFileSync(join(out, 'small', 'summary.json'), 'utf8');
    expect(summary).not.toMatch(/uncalibrated/);
    // A calibrated fleet says nothing.
    const quiet = await sim('run', write(dir, 'h100.yaml', SMALL), '--json', '--out', tempDir(), '--no-report');
    expect(quiet.stderr).toBe('');
  });

  it('sim calibrate on a directory with none of its tables is one line, exit 2', async () => {
    const empty = tempDir();
    for (const flag of ['--measurements', '--vidur']) {
      const r = await sim('calibrate', flag, empty);
      expect(r.thrown).toBeUndefined();
      expect(r.code).toBe(2);
      expect(lines(r.stderr)).toEqual([expect.stringMatching(new RegExp(`^error: ${empty}: (holds none of the tables calibrate reads|no Vidur profiles)`))]);
    }
  });
});
