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
    for (const name of ['A10', 'A40', 'L20', 'H800', 'H20', 'A100-80GB', 'H100-SXM', 'H200', 'L40S', 'RTX-4090']) {
      const gpu = gpus.get(name);
      expect(gpu.name).toBe(name);
      expect(gpu.efficiency?.source).toBeTruthy();
    }
  });

  it('finds a GPU by the names nvidia-smi and vLLM print for it', () => {
    expect(gpus.get('NVIDIA A100-SXM4-80GB').name).toBe('A100-80GB');
    expect(gpus.get('NVIDIA H100 80GB HBM3').name).toBe('H100-SXM');
    expect(gpus.get('NVIDIA_H100_80GB_HBM3').name).toBe('H100-SXM');
    expect(gpus.get('NVIDIA L40S').name).toBe('L40S');
    expect(gpus.get('NVIDIA GeForce RTX 4090').name).toBe('RTX-4090');
    expect(gpus.has('NVIDIA B200')).toBe(false);
    expect(() => gpus.get('NVIDIA B200')).toThrow(/unknown GPU "NVIDIA B200"/);
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
    // The L20 has no data of its own: it takes the L40S fits (same die) and says so.
    expect(gpus.get('L20').efficiency?.source).toMatch(/inferred from the L40S/);
    expect(gpus.get('RTX-4090').efficiency?.source).toMatch(/datasheet default/);
    const status = (name: string) => gpus.get(name).calibration?.status;
    expect(['A100-80GB', 'H100-SXM', 'A40', 'A10', 'H200', 'L40S'].map(status)).toEqual(Array(6).fill('calibrated'));
    expect(['H800', 'H20', 'L20'].map(status)).toEqual(['inferred', 'inferred', 'inferred']);
    expect(status('RTX-4090')).toBe('datasheet');
    for (const name of gpus.names()) expect(gpus.get(name).calibration?.source).toBeTruthy();
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
    // A cycle or a forward reference is not an unknown name, nor is extending oneself.
    const cycle = tempFile('c.yaml', ['gpus:', '  X1:', '    extends: X2', '  X2:', '    extends: X1'].join('\n'));
    expect(inputError(() => loadGpuCatalog(cycle)).message).toBe('extends "X2", which comes after it in this file: an entry extends one above it or one of an earlier catalog');
    const self = tempFile('s.yaml', ['gpus:', '  X1:', '    extends: X1'].join('\n'));
    expect(inputError(() => loadGpuCatalog(self)).message).toBe('"X1" extends itself');
    // Rates far below any accelerator's are a unit slip, not a GPU.
    const slip = tempFile('u.yaml', ['gpus:', '  X1:', '    extends: H100-SXM', '    memoryBandwidthGBs: 1e-300'].join('\n'));
    expect(inputError(() => loadGpuCatalog(slip)).message).toBe('expected at least 10 GB/s (a unit slip?)');
    const broken = tempFile('b.yaml', 'gpus:\n  X1: [1, 2\n');
    const e2 = inputError(() => loadGpuCatalog(broken));
    expect(e2.message).toMatch(/invalid YAML/);
    expect(e2.where).toMatch(/^line \d+$/);
  });

  it('points a host step in a GPU entry to the engine settings, where it belongs', () => {
    const old = tempFile(
      'o.yaml',
      ['gpus:', '  X1:', '    extends: A10', '    efficiency:', '      mfu: 0.5', '      mbu: 0.5', '      source: mine', '      stepOverheadS: 0.001'].join('\n'),
    );
    const err = inputError(() => loadGpuCatalog(old));
    expect(err.message).toBe("host time per step is the engine's, not the GPU's: set engine.stepOverheadMs in the fleet entry");
    expect(err.where).toBe('gpus.X1.efficiency.stepOverheadS (line 8)');
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

  it('ships the models people serve, dense, MoE, FP8 and MLA', () => {
    const names = [
      'Llama-2-7B', 'Llama-2-13B', 'Llama-2-70B', 'Llama-3.1-8B', 'Llama-3.1-70B', 'Llama-3.3-70B',
      'CodeLlama-34B', 'Mistral-7B', 'Mistral-Nemo-12B', 'Yi-34B', 'Qwen2.5-7B', 'Qwen2.5-14B',
      'Qwen2.5-32B', 'Qwen2.5-72B', 'Qwen3-8B', 'Qwen3-14B', 'Qwen3-32B', 'DeepSeek-Coder-6.7B',
      'Mixtral-8x7B', 'Mixtral-8x22B', 'Qwen3-30B-A3B', 'Qwen3-235B-A22B', 'Qwen3-235B-A22B-FP8',
      'Llama-4-Scout-17B-16E-FP8', 'DeepSeek-V3', 'DeepSeek-R1', 'Llama-3-70B',
    ];
    for (const name of names) expect(models.get(name).name).toBe(name);
    // Published sizes (total / active, billions) from the model cards.
    const size = (name: string): [number, number] => {
      const d = deriveModel(models.get(name));
      return [d.params / 1e9, d.activeParams / 1e9];
    };
    expect(size('Mixtral-8x7B')[0]).toBeCloseTo(46.7, 1);
    expect(size('Mixtral-8x7B')[1]).toBeCloseTo(12.9, 1);
    expect(size('Mixtral-8x22B')[0]).toBeCloseTo(140.6, 1);
    expect(size('Qwen3-30B-A3B')[1]).toBeCloseTo(3.3, 0);
    expect(size('Qwen3-235B-A22B')[0]).toBeCloseTo(235, 0);
    expect(size('Qwen3-235B-A22B')[1]).toBeCloseTo(22, 0);
    expect(size('DeepSeek-V3')[0]).toBeCloseTo(671, 0);
    expect(size('DeepSeek-V3')[1]).toBeCloseTo(37.5, 0);
    expect(size('Llama-4-Scout-17B-16E-FP8')[1]).toBeCloseTo(17, 0);
    expect(size('Yi-34B')[0]).toBeCloseTo(34.4, 1);
    expect(size('CodeLlama-34B')[0]).toBeCloseTo(33.7, 1);
  });

  it('counts every expert in the parameters and the active ones per token (Mixtral-8x7B by hand)', () => {
    const d = deriveModel(models.get('Mixtral-8x7B'));
    const attention = 4096 * (4096 + 2 * 1024) + 4096 * 4096;
    const expert = 3 * 4096 * 14336;
    const router = 4096 * 8;
    const norms = 2 * 4096;
    const embeddings = 2 * 32000 * 4096;
    expect(d.params).toBe(32 * (attention + 8 * expert + router + norms) + embeddings + 4096);
    expect(d.activeParams).toBe(32 * (attention + 2 * expert + router + norms) + embeddings + 4096);
    expect(d.weightBytes).toBe(2 * d.params);
    expect(d.layerLinearParams).toBe(attention + 2 * expert);
    expect(d.linearFlopsPerToken).toBe(2 * (32 * (attention + 2 * expert + router) + 32000 * 4096));
  });

  it('counts MLA projections, shared experts and dense layers (DeepSeek-V3 by hand)', () => {
    const d = deriveModel(models.get('DeepSeek-V3'));
    const h = 7168;
    const attention = h * 1536 + 1536 * 128 * 192 + h * (512 + 64) + 512 * 128 * (128 + 128) + 128 * 128 * h;
    const denseMlp = 3 * h * 18432;
    const expert = 3 * h * 2048;
    const matmul = 3 * (attention + denseMlp) + 58 * (attention + 256 * expert + expert);
    const other = 61 * (2 * h + 1536 + 512) + h + 2 * 129280 * h + 58 * h * 256;
    expect(d.params).toBe(matmul + other);
    expect(d.activeParams).toBe(3 * (attention + denseMlp) + 58 * (attention + 9 * expert) + other);
    // FP8 matmul weights; embeddings, LM head, norms and router in BF16.
    expect(d.weightBytes).toBe(matmul + 2 * other);
  });

  it('derives MLA KV bytes per token: (kvLoraRank + rope dim) x layers x bytes', () => {
    expect(deriveModel(models.get('DeepSeek-V3')).kvBytesPerToken).toBe((512 + 64) * 61 * 2);
    expect(deriveModel(models.get('DeepSeek-R1')).kvBytesPerToken).toBe(70272);
    const fp8Kv = { ...models.get('DeepSeek-V3'), kvDtypeBytes: 1 };
    expect(deriveModel(fp8Kv).kvBytesPerToken).toBe(35136);
  });

  it('keeps BF16 KV for FP8 checkpoints and halves only the matmul weights', () => {
    const bf16 = deriveModel(models.get('Qwen3-235B-A22B'));
    const fp8 = deriveModel(models.get('Qwen3-235B-A22B-FP8'));
    expect(fp8.params).toBe(bf16.params);
    expect(fp8.kvBytesPerToken).toBe(bf16.kvBytesPerToken);
    expect(bf16.kvBytesPerToken).toBe(2 * 94 * 4 * 128 * 2);
    const other = 94 * 2 * 4096 + 4096 + 2 * 151936 * 4096 + 94 * 4096 * 128;
    expect(bf16.weightBytes - fp8.weightBytes).toBe(bf16.params - other);
    // vLLM's kv_cache_dtype fp8 as a user variant.
    expect(deriveModel({ ...models.get('Llama-3.1-8B'), kvDtypeBytes: 1 }).kvBytesPerToken).toBe(65536);
  });

  it('rejects impossible MoE and MLA shapes', () => {
    const file = tempFile(
      'moe.yaml',
      ['models:', '  Bad:', '    extends: Mixtral-8x7B', '    moe: { activeExperts: 9 }'].join('\n'),
    );
    const err = inputError(() => loadModelCatalog(file));
    expect(err.message).toMatch(/activeExperts must not exceed experts/);
    const mla = tempFile('mla.yaml', ['models:', '  Bad:', '    extends: DeepSeek-V3', '    headDim: 128'].join('\n'));
    expect(inputError(() => loadModelCatalog(mla)).message).toMatch(/qkNopeHeadDim \+ qkRopeHeadDim/);
  });

  it('rejects heads that are not a multiple of kvHeads', () => {
    const file = tempFile(
      'models.yaml',
      ['models:', '  Odd:', '    extends: Llama-2-7B', '    kvHeads: 5'].join('\n'),
    );
    const err = inputError(() => loadModelCatalog(file));
    expect(err.message).toMatch(/heads \(32\) must be a multiple of kvHeads \(5\)/);
    expect(err.where).toBe('models.Odd.kvHeads (line 4)');
  });
});
