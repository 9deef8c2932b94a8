import { describe, expect, it } from 'vitest';
import { kvCapacityTokens, loadGpuCatalog, loadModelCatalog } from '../../src/hardware/index.js';

describe('kvCapacityTokens', () => {
  const gpus = loadGpuCatalog();
  const models = loadModelCatalog();

  it('matches the formula by hand for Llama-3-8B on one H100', () => {
    const model = models.get('Llama-3-8B');
    const weights = 2 * (32 * (4096 * 6144 + 4096 * 4096 + 3 * 4096 * 14336 + 2 * 4096) + 2 * 128256 * 4096 + 4096);
    const activation = 8192 * (2 * 4096 + 3 * 14336) * 2;
    const expected = Math.floor((80 * 2 ** 30 * 0.9 - weights - 1e9 - activation) / 131072);
    expect(kvCapacityTokens(gpus.get('H100-SXM'), model, 1, 0.9)).toBe(expected);
    expect(expected).toBeGreaterThan(400_000);
  });

  it('grows with tensor parallelism and memory utilization', () => {
    const model = models.get('Qwen2.5-7B');
    const gpu = gpus.get('L20');
    const tp1 = kvCapacityTokens(gpu, model, 1, 0.9);
    expect(kvCapacityTokens(gpu, model, 2, 0.9)).toBeGreaterThan(2 * tp1);
    expect(kvCapacityTokens(gpu, model, 1, 0.95)).toBeGreaterThan(tp1);
  });

  it('charges a larger activation reserve for a larger batched-token budget', () => {
    const model = models.get('Llama-3-8B');
    const gpu = gpus.get('A100-80GB');
    expect(kvCapacityTokens(gpu, model, 1, 0.9, 16384)).toBeLessThan(kvCapacityTokens(gpu, model, 1, 0.9, 2048));
  });

  it('is <= 0 when the model does not fit', () => {
    expect(kvCapacityTokens(gpus.get('A10'), models.get('Llama-3-70B'), 1, 0.9)).toBeLessThanOrEqual(0);
    expect(kvCapacityTokens(gpus.get('A10'), models.get('Qwen2.5-14B'), 1, 0.9)).toBeLessThanOrEqual(0);
  });
});
