import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deriveModel, loadGpuCatalog, loadModelCatalog } from '../../src/hardware/index.js';
import { InputError } from '../../src/input-error.js';

function tempFile(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'routesim-hw-')), name);
  writeFileSync(file, text);
  return file;
}

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

describe('GPU catalog', () => {
  const gpus = loadGpuCatalog();

  it('ships the GPUs the scenarios use, each with efficiency factors', () => {
    for (const name of ['A10', 'L20', 'H800', 'H20', 'A100-80GB', 'H100-SXM', 'H200', 'L40S', 'RTX-4090']) {
      const gpu = gpus.get(name);
      expect(gpu.name).toBe(name);
      expect(gpu.efficiency?.source).toBeTruthy();
    }
  });

  it('holds datasheet facts', () => {
    const h100 = gpus.get('H100-SXM');
    expect(h100.bf16Tflops).toBe(989);
    expect(h100.fp8Tflops).toBe(1979);
    expect(h100.memoryBandwidthGBs).toBe(3350);
    expect(gpus.get('H800').interconnect).toEqual({ kind: 'nvlink', bandwidthGBs: 200 });
    expect(gpus.get('A10').interconnect.kind).toBe('pcie');
    expect(gpus.get('A10').fp8Tflops).toBeUndefined();
    expect(gpus.get('H20').memoryGB).toBe(96);
  });

  it('marks which GPUs are calibrated and which are inferred', () => {
    expect(gpus.get('A100-80GB').efficiency?.source).toMatch(/^calibrated against vidur_profiling/);
    expect(gpus.get('H100-SXM').efficiency?.source).toMatch(/^calibrated against vidur_profiling/);
    expect(gpus.get('H800').efficiency?.source).toMatch(/inferred from the H100-SXM/);
    expect(gpus.get('H800').efficiency?.mfu).toBe(gpus.get('H100-SXM').efficiency?.mfu);
    expect(gpus.get('L20').efficiency?.source).toMatch(/datasheet default/);
  });

  it('finds names case-insensitively and through aliases', () => {
    expect(gpus.get('h100').name).toBe('H100-SXM');
    expect(gpus.get('a100-80gb').name).toBe('A100-80GB');
    expect(gpus.has('nope')).toBe(false);
  });

  it('lists the known GPUs when a name is unknown', () => {
    const err = inputError(() => gpus.get('B300'));
    expect(err.message).toContain('unknown GPU "B300"');
    expect(err.message).toContain('A100-80GB');
    expect(err.message).toContain('L40S');
  });

  it('adds and overrides entries from a user file, with extends', () => {
    const file = tempFile(
      'gpus.yaml',
      [
        'gpus:',
        '  H100-cheap:',
        '    extends: H100-SXM',
        '    costPerHour: 1.5',
        '  A10:',
        '    bf16Tflops: 70',
        '    memoryGB: 24',
        '    memoryBandwidthGBs: 600',
        '    interconnect: { kind: pcie, bandwidthGBs: 32 }',
        '    costPerHour: 1.0',
      ].join('\n'),
    );
    const merged = loadGpuCatalog(file);
    const cheap = merged.get('h100-cheap');
    expect(cheap.costPerHour).toBe(1.5);
    expect(cheap.bf16Tflops).toBe(989);
    expect(cheap.efficiency).toEqual(merged.get('H100-SXM').efficiency);
    expect(cheap.aliases).toBeUndefined();
    expect(merged.get('A10').bf16Tflops).toBe(70);
    expect(merged.get('A10').efficiency).toBeUndefined();
    expect(merged.names()).toContain('H100-cheap');
  });

  it('names the file, field and line of a bad entry', () => {
    const file = tempFile('bad.yaml', ['gpus:', '  X1:', '    bf16Tflops: -3', '    memoryGB: 24'].join('\n'));
    const err = inputError(() => loadGpuCatalog(file));
    expect(err.file).toBe(file);
    expect(err.where).toBe('gpus.X1.bf16Tflops (line 3)');
  });

  it('reports missing and unknown fields', () => {
    const missing = tempFile('m.yaml', ['gpus:', '  X1:', '    bf16Tflops: 3'].join('\n'));
    expect(inputError(() => loadGpuCatalog(missing)).message).toMatch(/missing required field/);
    const unknown = tempFile(
      'u.yaml',
      ['gpus:', '  X1:', '    extends: A10', '    tflops: 3'].join('\n'),
    );
    const err = inputError(() => loadGpuCatalog(unknown));
    expect(err.message).toContain('unknown field "tflops"');
  });

  it('rejects extends of an unknown entry and broken YAML with a line', () => {
    const ext = tempFile('e.yaml', ['gpus:', '  X1:', '    extends: Z9'].join('\n'));
    const e1 = inputError(() => loadGpuCatalog(ext));
    expect(e1.message).toContain('extends unknown GPU "Z9"');
    expect(e1.where).toContain('line 3');
    const broken = tempFile('b.yaml', 'gpus:\n  X1: [1, 2\n');
    const e2 = inputError(() => loadGpuCatalog(broken));
    expect(e2.message).toMatch(/invalid YAML/);
    expect(e2.where).toMatch(/^line \d+$/);
  });

  it('reports a missing user file', () => {
    const err = inputError(() => loadGpuCatalog('/nonexistent/gpus.yaml'));
    expect(err.file).toBe('/nonexistent/gpus.yaml');
  });
});

describe('model catalog', () => {
  const models = loadModelCatalog();

  it('ships the scenario models', () => {
    for (const name of ['Llama-2-7B', 'Llama-3.1-8B', 'Qwen2.5-7B', 'Qwen3-8B', 'DeepSeek-Coder-6.7B', 'Llama-3-70B', 'Qwen2.5-14B']) {
      expect(models.get(name).name).toBe(name);
    }
    expect(models.get('Llama-3-8B').name).toBe('Llama-3.1-8B');
    expect(models.get('deepseek-coder-6.7b').vocabSize).toBe(32256);
  });

  it('derives KV bytes per token', () => {
    const kv = (name: string): number => deriveModel(models.get(name)).kvBytesPerToken;
    expect(kv('Llama-3-8B')).toBe(131072);
    expect(kv('Llama-2-7B')).toBe(524288);
    expect(kv('DeepSeek-Coder-6.7B')).toBe(524288);
    expect(kv('Qwen2.5-7B')).toBe(57344);
    expect(kv('Qwen3-8B')).toBe(147456);
    expect(kv('Llama-3-70B')).toBe(327680);
  });

  it('derives parameter counts close to the published sizes', () => {
    const billions = (name: string): number => deriveModel(models.get(name)).params / 1e9;
    expect(billions('Llama-2-7B')).toBeCloseTo(6.74, 2);
    expect(billions('Llama-3.1-8B')).toBeCloseTo(8.03, 2);
    expect(billions('Qwen2.5-7B')).toBeCloseTo(7.62, 2);
    expect(billions('Llama-3-70B')).toBeCloseTo(70.55, 1);
  });

  it('derives weight bytes and linear FLOPs per token', () => {
    const d = deriveModel(models.get('Llama-2-7B'));
    expect(d.weightBytes).toBe(2 * d.params);
    // Per layer: QKV 4096x12288, O 4096x4096, gate+up+down 3x4096x11008.
    const perLayer = 4096 * 12288 + 4096 * 4096 + 3 * 4096 * 11008;
    expect(d.layerLinearParams).toBe(perLayer);
    expect(d.linearFlopsPerToken).toBe(2 * (32 * perLayer + 32000 * 4096));
  });

  it('counts tied embeddings once', () => {
    const untied = deriveModel(models.get('Llama-2-7B'));
    const tied = deriveModel({ ...models.get('Llama-2-7B'), tiedEmbeddings: true });
    expect(untied.params - tied.params).toBe(32000 * 4096);
  });

  it('rejects heads that are not a multiple of kvHeads', () => {
    const file = tempFile(
      'models.yaml',
      ['models:', '  Odd:', '    extends: Llama-2-7B', '    kvHeads: 5'].join('\n'),
    );
    const err = inputError(() => loadModelCatalog(file));
    expect(err.message).toMatch(/multiple of kvHeads/);
    expect(err.where).toBe('models.Odd.kvHeads (line 4)');
  });
});
