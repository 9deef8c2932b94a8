import { describe, expect, it } from 'vitest';
import { engineSchema } from '../../src/experiment/schema.js';
import { engineConfigFrom, VLLM_DEFAULTS } from '../../src/serving/index.js';

describe('engine settings', () => {
  it('vllm (or nothing) is vLLM with its defaults, unchanged', () => {
    expect(engineConfigFrom(undefined, 80, 1)).toEqual(VLLM_DEFAULTS);
    expect(engineConfigFrom('vllm', 80, 1)).toEqual(VLLM_DEFAULTS);
    expect(engineConfigFrom({ kind: 'vllm', maxNumSeqs: 64 }, 80, 1)).toEqual({ ...VLLM_DEFAULTS, maxNumSeqs: 64 });
  });

  it('host time per step is an engine setting in ms and us, fitted by default for both engines', () => {
    expect(engineConfigFrom(undefined, 80, 1).hostStep).toEqual({ baseS: 0.25e-3, perSeqS: 0 });
    expect(engineConfigFrom('sglang', 24, 1).hostStep).toEqual({ baseS: 0.25e-3, perSeqS: 0 });
    const set = engineConfigFrom({ stepOverheadMs: 0.5, stepOverheadPerSeqUs: 4, maxNumSeqs: 8 }, 80, 1);
    expect(set.hostStep.baseS).toBeCloseTo(0.5e-3, 15);
    expect(set.hostStep.perSeqS).toBeCloseTo(4e-6, 15);
    expect(set).not.toHaveProperty('stepOverheadMs');
    // One term given: the other keeps its default.
    expect(engineConfigFrom({ kind: 'sglang', stepOverheadPerSeqUs: 2 }, 80, 1).hostStep).toEqual({ baseS: 0.25e-3, perSeqS: 2e-6 });
    expect(engineSchema.safeParse({ stepOverheadMs: -1 }).success).toBe(false);
  });

  it("sglang takes SGLang's defaults by GPU memory and tensor parallelism", () => {
    const a10 = engineConfigFrom('sglang', 24, 1);
    expect(a10.kind).toBe('sglang');
    expect(a10.sglang!.chunkedPrefillSize).toBe(2048);
    expect(a10.gpuMemoryUtilization).toBe(0.88);
    expect(a10.blockSize).toBe(1);
    expect(a10.sglang!.schedulePolicy).toBe('fcfs');
    expect(a10.sglang!.maxPrefillTokens).toBe(16384);
    const h100tp8 = engineConfigFrom('sglang', 80, 8);
    expect(h100tp8.sglang!.chunkedPrefillSize).toBe(8192);
    expect(h100tp8.gpuMemoryUtilization).toBe(0.81);
    expect(engineConfigFrom('sglang', 192, 1).sglang!.chunkedPrefillSize).toBe(16384);
    const set = engineConfigFrom({ kind: 'sglang', chunkedPrefillSize: -1, schedulePolicy: 'lpm', maxRunningRequests: 32 }, 80, 1);
    expect(set.sglang).toMatchObject({ chunkedPrefillSize: null, schedulePolicy: 'lpm', maxRunningRequests: 32 });
    expect(set.enableChunkedPrefill).toBe(false);
  });

  it("a setting of the other engine is an error naming the equivalent", () => {
    const msg = (v: unknown) => {
      const r = engineSchema.safeParse(v);
      if (r.success) return 'ok';
      const union = r.error.issues[0] as { errors?: { message: string }[][] };
      return (union.errors?.flat() ?? r.error.issues).map((i) => i.message).join('; ');
    };
    expect(msg({ kind: 'sglang', maxNumSeqs: 3 })).toMatch(/maxNumSeqs is a vLLM setting; for kind: sglang use maxRunningRequests/);
    expect(msg({ schedulePolicy: 'lpm' })).toMatch(/schedulePolicy is an SGLang setting: add kind: sglang/);
    expect(msg({ kind: 'sglang', pageSize: 16, chunkedPrefillSize: 100 })).toMatch(/multiple of pageSize/);
    expect(msg('sglang')).toBe('ok');
    expect(msg({ kind: 'sglang', schedulePolicy: 'dfs-weight', pageSize: 16, chunkedPrefillSize: 4096 })).toBe('ok');
  });
});

describe('the sampler an engine runs', () => {
  it("sorts logits on vLLM unless flashinferSampler is set; SGLang's never does", async () => {
    const { resolveFleet } = await import('../../src/experiment/resolve-fleet.js');
    const { fleetEntrySchema } = await import('../../src/experiment/schema.js');
    const { loadCatalogs, decodeStep } = await import('../../src/hardware/index.js');
    const { gpus, models } = loadCatalogs();
    const llama = models.get('Llama-3.1-8B'); // generation config sets top_p
    const ctx = { file: 'x.yaml', baseDir: '.', where: () => '' };
    const step = (engine: unknown) =>
      resolveFleet([fleetEntrySchema.parse({ gpu: 'H100-SXM', engine })], llama, gpus, ctx).instances[0].timing.stepTime(decodeStep(64, 64 * 1000));
    const sorting = step('vllm');
    const flashinfer = step({ flashinferSampler: true });
    // 64 rows x 128,256 logits x 0.215 ns on H100.
    expect(sorting - flashinfer).toBeCloseTo(64 * 128256 * 0.215e-9, 9);
    expect(step('sglang')).toBe(flashinfer);
    expect(() => engineSchema.parse({ kind: 'sglang', flashinferSampler: true })).toThrow(/vLLM setting/);
  });
});

describe('the host time per step a fleet entry sets', () => {
  it('reaches the step time of every instance, on any GPU, for both engines', async () => {
    const { resolveFleet } = await import('../../src/experiment/resolve-fleet.js');
    const { fleetEntrySchema } = await import('../../src/experiment/schema.js');
    const { loadCatalogs, decodeStep } = await import('../../src/hardware/index.js');
    const { gpus, models } = loadCatalogs();
    const ctx = { file: 'x.yaml', baseDir: '.', where: () => '' };
    const step = (gpu: string, engine: unknown) =>
      resolveFleet([fleetEntrySchema.parse({ gpu, engine })], models.get('Llama-2-7B'), gpus, ctx).instances[0].timing.stepTime(decodeStep(16, 16 * 500));
    for (const gpu of ['A10', 'A100-80GB', 'L40S', 'H100-SXM']) {
      // 1.25 ms instead of the fitted 0.25 ms, and 10 us for each of the 16 sequences.
      expect(step(gpu, { stepOverheadMs: 1.25, stepOverheadPerSeqUs: 10 }) - step(gpu, 'vllm')).toBeCloseTo(1e-3 + 16 * 10e-6, 12);
      expect(step(gpu, { kind: 'sglang', stepOverheadMs: 0 }) - step(gpu, 'sglang')).toBeCloseTo(-0.25e-3, 12);
    }
  });
});
