import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createRooflineTiming,
  createTimingModel,
  FITTED_HOST_STEP,
  decodeStep,
  freshPrefill,
  loadGpuCatalog,
  loadModelCatalog,
  type BatchShape,
  type GpuSpec,
  type ModelSpec,
} from '../../src/hardware/index.js';
import { InputError } from '../../src/input-error.js';
import { resolveEfficiency } from '../../src/hardware/efficiency.js';
import { layerCost } from '../../src/hardware/layer-cost.js';
import { modelLayers } from '../../src/hardware/model-derived.js';

// Round numbers so the expected values can be worked out by hand.
const gpu: GpuSpec = {
  name: 'TestGPU',
  bf16Tflops: 100,
  memoryGB: 40,
  memoryBandwidthGBs: 1000,
  interconnect: { kind: 'nvlink', bandwidthGBs: 100 },
  costPerHour: 1,
  efficiency: {
    mfu: 0.5,
    mbu: 0.8,
    elementwiseMbu: 0.4,
    layerOverheadS: 1e-5,
    gemmTileTokens: 1,
    // Steps of up to 512 tokens replay a CUDA graph: 5 us per layer instead of 10.
    graphLayerOverheadS: 5e-6,
    // Per layer: 2 us per call, 0.1 us per decoding sequence + 0.01 us per its KV head, 16
    // tokens of partial tile per decoding sequence.
    attention: { fixedS: 2e-6, perSeqS: 1e-7, perSeqHeadS: 1e-8, padTokens: 16, mbu: 0.8, prefillMfu: 0.5 },
    source: 'test',
  },
};

const model: ModelSpec = {
  name: 'Tiny',
  layers: 2,
  hiddenSize: 1024,
  heads: 8,
  kvHeads: 2,
  headDim: 128,
  intermediateSize: 4096,
  vocabSize: 32000,
  dtypeBytes: 2,
  maxModelLen: 8192,
};

// The engine's host time per step in these hand calculations: 1 ms, nothing per sequence.
const HOST = { baseS: 1e-3, perSeqS: 0 };
const roofline = (g: GpuSpec, m: ModelSpec, tp: number, opts: Parameters<typeof createRooflineTiming>[3] = {}) =>
  createRooflineTiming(g, m, tp, { hostStep: HOST, ...opts });

const FLOPS = 100e12 * 0.5; // peak x mfu
const BW = 1000e9 * 0.8; // bandwidth x mbu
const EW_BW = 1000e9 * 0.4; // elementwise bandwidth
const LAYER_PARAMS = 1024 * (1024 + 2 * 256) + 1024 * 1024 + 3 * 1024 * 4096; // 15,204,352
const HEAD_PARAMS = 32000 * 1024;
const EW_BYTES_PER_TOKEN = (7 * 1024 + 2 * (1024 + 256) + 3 * 4096) * 2; // norms+add, rotary, activation
const KV_BYTES_PER_TOKEN = 2 * 2 * 2 * 128 * 2;

const hyp = (a: number, b: number): number => Math.sqrt(a * a + b * b);

describe('roofline timing', () => {
  it('memory-bound decode: weight streaming dominates', () => {
    const timing = roofline(gpu, model, 1);
    const b = decodeStep(4, 4000);
    const layer =
      hyp((2 * 4 * LAYER_PARAMS) / FLOPS, (LAYER_PARAMS * 2) / BW) + (4 * EW_BYTES_PER_TOKEN) / EW_BW + 1e-5;
    const head = hyp((4 * 2 * HEAD_PARAMS) / FLOPS, (HEAD_PARAMS * 2) / BW);
    // Per layer: the call, 4 sequences x (0.1 + 2 KV heads x 0.01) us, and the KV of 4000
    // context tokens plus 4 x 16 tokens of partial tiles.
    const attention =
      2 * (2e-6 + 4 * 1.2e-7 + hyp((4000 * 4 * 1024) / FLOPS, ((4000 + 64) * KV_BYTES_PER_TOKEN) / 2 / BW));
    // 4 tokens run as a CUDA graph: 5 us per layer.
    const expected = 2 * (layer - 1e-5 + 5e-6) + head + attention + 1e-3;
    expect(timing.stepTime(b)).toBeCloseTo(expected, 12);
    // By hand: 2 x 43.53 us + 82.09 us + 2 x 7.69 us + 1 ms.
    expect(timing.stepTime(b)).toBeCloseTo(1.18453e-3, 7);
  });

  it('compute-bound prefill: FLOPs dominate', () => {
    const timing = roofline(gpu, model, 1);
    const n = 2048;
    const b = freshPrefill(n);
    const compute = (2 * n * LAYER_PARAMS) / FLOPS;
    const stream = (LAYER_PARAMS * 2) / BW;
    expect(compute).toBeGreaterThan(10 * stream);
    const layer = hyp(compute, stream) + (n * EW_BYTES_PER_TOKEN) / EW_BW + 1e-5;
    const head = hyp((2 * HEAD_PARAMS) / FLOPS, (HEAD_PARAMS * 2) / BW);
    // Per layer: the call plus causal attention over n^2/2 pairs (prefillMfu 0.5, as the GEMMs).
    const attention = 2 * (2e-6 + hyp(((n * n) / 2) * ((4 * 1024) / FLOPS), (n * KV_BYTES_PER_TOKEN) / 2 / BW));
    // 2048 tokens run eagerly: the full 10 us per layer stays in `layer`.
    expect(timing.stepTime(b)).toBeCloseTo(2 * layer + head + attention + 1e-3, 12);
  });

  it('TP=2 halves the work and adds two ring all-reduces per layer', () => {
    const timing = roofline(gpu, model, 2);
    const n = 512;
    const b = freshPrefill(n);
    const layer =
      hyp((2 * n * LAYER_PARAMS) / 2 / FLOPS, (LAYER_PARAMS * 2) / 2 / BW) +
      (n * (7 * 1024 + (2 * (1024 + 256) + 3 * 4096) / 2) * 2) / EW_BW +
      1e-5;
    const head = hyp((2 * HEAD_PARAMS) / 2 / FLOPS, (HEAD_PARAMS * 2) / 2 / BW);
    // One KV head per rank (2 KV heads over 2 ranks).
    const attention = 2 * (2e-6 + hyp(((n * n) / 2) * ((4 * 1024) / 2 / FLOPS), (n * 2 * 1 * 128 * 2) / BW));
    // Ring: 2(tp-1)/tp = 1 buffer of n x hidden x 2 bytes over 100 GB/s x 0.75, plus 10 us.
    const allReduce = 2 * 2 * (10e-6 + (n * 1024 * 2) / (100e9 * 0.75));
    // 512 tokens still run as a CUDA graph: 5 us per layer instead of 10.
    expect(timing.stepTime(b)).toBeCloseTo(2 * (layer - 5e-6) + head + attention + allReduce + 1e-3, 12);
  });

  it('MoE: a decode step reads the experts its tokens touch, E x (1 - (1 - k/E)^tokens)', () => {
    // 4 experts of width 1024, 2 per token: 1 token reads 2 experts, 3 tokens 4 x (1 - 1/8) = 3.5.
    const moeModel: ModelSpec = { ...model, moe: { experts: 4, activeExperts: 2, expertIntermediateSize: 1024 } };
    const timing = roofline(gpu, moeModel, 1);
    const attention = 1024 * (1024 + 2 * 256) + 1024 * 1024;
    const router = 1024 * 4;
    const expert = 3 * 1024 * 1024;
    const ew = (7 * 1024 + 2 * (1024 + 256) + 3 * 2 * 1024) * 2;
    const step = (tokens: number, touched: number): number => {
      const layer =
        hyp((2 * tokens * (attention + router + 2 * expert)) / FLOPS, ((attention + router + touched * expert) * 2) / BW) +
        (tokens * ew) / EW_BW +
        5e-6;
      const head = hyp((tokens * 2 * HEAD_PARAMS) / FLOPS, (HEAD_PARAMS * 2) / BW);
      const attn =
        2 *
        (2e-6 + tokens * 1.2e-7 + hyp((tokens * 100 * 4 * 1024) / FLOPS, (tokens * 116 * KV_BYTES_PER_TOKEN) / 2 / BW));
      return 2 * layer + head + attn + 1e-3;
    };
    expect(timing.stepTime(decodeStep(1, 100))).toBeCloseTo(step(1, 2), 12);
    expect(timing.stepTime(decodeStep(3, 300))).toBeCloseTo(step(3, 3.5), 12);
    // A large batch reads every expert once: the weight term stops growing.
    const perToken = (a: number, b: number): number =>
      (timing.stepTime(decodeStep(b, 100 * b)) - timing.stepTime(decodeStep(a, 100 * a))) / (b - a);
    expect(perToken(32, 64)).toBeLessThan(0.5 * perToken(1, 2));
  });

  it('MoE under vLLM CUDA graphs: a decode batch is padded to its captured size and reads the experts the padding routes to', () => {
    const moeModel: ModelSpec = { ...model, moe: { experts: 4, activeExperts: 2, expertIntermediateSize: 1024 } };
    const plain = roofline(gpu, moeModel, 1);
    const graphed = roofline(gpu, moeModel, 1, { cudaGraphMaxTokens: 256 });
    const attention = 1024 * (1024 + 2 * 256) + 1024 * 1024;
    const router = 1024 * 4;
    const expert = 3 * 1024 * 1024;
    const ew = (7 * 1024 + 2 * (1024 + 256) + 3 * 2 * 1024) * 2;
    const layerWork = (tokens: number, touched: number): number =>
      hyp((2 * tokens * (attention + router + 2 * expert)) / FLOPS, ((attention + router + touched * expert) * 2) / BW) +
      (tokens * ew) / EW_BW;
    // 3 sequences replay the 4-token graph: both layers run 4 tokens that read 4 x (1 - 1/16)
    // = 3.75 experts instead of 3 tokens reading 3.5; attention and the LM head stay at 3 rows.
    const extra = graphed.stepTime(decodeStep(3, 300)) - plain.stepTime(decodeStep(3, 300));
    expect(extra).toBeCloseTo(2 * (layerWork(4, 3.75) - layerWork(3, 3.5)), 12);
    expect(extra).toBeGreaterThan(0);
    // A captured size is padded to itself.
    expect(graphed.stepTime(decodeStep(4, 400))).toBeCloseTo(plain.stepTime(decodeStep(4, 400)), 12);
    // Above the largest captured size a step runs eagerly: 10 us per layer instead of 5.
    const small = roofline(gpu, moeModel, 1, { cudaGraphMaxTokens: 8 });
    expect(small.stepTime(decodeStep(9, 900)) - plain.stepTime(decodeStep(9, 900))).toBeCloseTo(2 * 5e-6, 12);
  });

  it('expert parallelism: the busiest rank reads whole experts, mean + sqrt(2 ln tp) x sqrt(mean)', () => {
    // 8 experts of width 1024, 2 per token, 2 ranks: each holds 4 whole experts.
    const moeModel: ModelSpec = { ...model, moe: { experts: 8, activeExperts: 2, expertIntermediateSize: 1024 } };
    const expert = 3 * 1024 * 1024;
    const tpTime = roofline(gpu, moeModel, 2);
    const epTime = roofline(gpu, moeModel, 2, { expertParallel: true });
    // One token: 1 - 6/8 = 1/4 of the experts are read. Sharded: 8 x 1/4 = 2 experts, half of
    // each per rank = 1 expert's bytes. EP: mean 4 x 1/4 = 1 per rank, busiest 1 + 1.1774 = 2.1774.
    const busiest = 1 + Math.sqrt(2 * Math.log(2));
    const extraBytesPerLayer = (busiest - 1) * expert * 2;
    const delta = epTime.stepTime(decodeStep(1, 100)) - tpTime.stepTime(decodeStep(1, 100));
    // The matmul term is memory-bound at one token: the difference is the extra stream in both layers
    // (combined with the tiny compute term through the sqrt, hence the tolerance).
    expect(delta).toBeGreaterThan(0.99 * 2 * (extraBytesPerLayer / BW));
    expect(delta).toBeLessThan(1.01 * 2 * (extraBytesPerLayer / BW));
    // A large batch reads every expert either way: the same bytes per rank.
    const big = decodeStep(512, 51200);
    expect(epTime.stepTime(big)).toBeCloseTo(tpTime.stepTime(big), 9);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: 64 }), (n, extra) => {
        return epTime.stepTime(decodeStep(n + extra, 100 * (n + extra))) >= epTime.stepTime(decodeStep(n, 100 * n));
      }),
      { numRuns: 500, seed: 7 },
    );
    const odd: ModelSpec = { ...model, moe: { experts: 5, activeExperts: 2, expertIntermediateSize: 1024 } };
    expect(() => roofline(gpu, odd, 2, { expertParallel: true })).toThrow(/multiple of 2 experts/);
  });

  it('MLA: every rank reads the whole latent; FP8 weights run at the FP8 rate', () => {
    const models = loadModelCatalog();
    const h200 = loadGpuCatalog().get('H200');
    const v3 = models.get('DeepSeek-V3');
    // KV read per context token: (512 + 64) x 61 layers x 2 bytes, the same at tp 1 and tp 8.
    const at = (tp: number, ctx: number): number => createRooflineTiming(h200, v3, tp).stepTime(decodeStep(1, ctx));
    const slope = (tp: number): number => (at(tp, 200_000) - at(tp, 100_000)) / 100_000;
    const bw = h200.memoryBandwidthGBs * 1e9 * h200.efficiency!.attention!.mbu;
    expect(slope(8)).toBeGreaterThan(0.9 * (576 * 61 * 2) / bw);
    // One-token decode streams half the matmul bytes; prefill matmuls run at twice the rate
    // (attention, norms and per-layer overheads stay as they were).
    const step = (name: string, b: BatchShape): number => createRooflineTiming(h200, models.get(name), 8).stepTime(b);
    const llama = models.get('Llama-3.1-8B');
    const decode = (m: ModelSpec): number => createRooflineTiming(h200, m, 1).stepTime(decodeStep(1, 1000));
    expect(decode({ ...llama, dtypeBytes: 1, kvDtypeBytes: 2 })).toBeLessThan(0.75 * decode(llama));
    expect(step('Qwen3-235B-A22B-FP8', freshPrefill(2048))).toBeLessThan(0.9 * step('Qwen3-235B-A22B', freshPrefill(2048)));
  });

  it('FP8 GEMMs: weights stream at 0.89 of the BF16 rate, compute at 0.72 of its mfu, 2.2 us more per call', () => {
    const h100 = loadGpuCatalog().get('H100-SXM');
    const eff = resolveEfficiency(h100);
    const llama = loadModelCatalog().get('Llama-3.1-8B');
    const fp8 = { ...llama, dtypeBytes: 1, kvDtypeBytes: 2 };
    const bf = layerCost(modelLayers(llama).dense, 1, h100, eff);
    const f8 = layerCost(modelLayers(fp8).dense, 1, h100, eff);
    // Half the bytes at 0.89 of the bandwidth share; twice the peak at 0.72 of the mfu.
    expect(f8.weightStream / bf.weightStream).toBeCloseTo(0.5 / 0.89, 10);
    expect(f8.computePerToken / bf.computePerToken).toBeCloseTo((989 / 1979) / 0.72, 10);
    // QKV, O, gate+up, down: four quantized inputs per layer.
    expect(f8.fp8Extra).toBeCloseTo(4 * 2.2e-6, 12);
    expect(bf.fp8Extra).toBe(0);
    // Scout's MoE layers: attention 2 + shared experts 2 + fused routed experts 2.
    const scout = modelLayers(loadModelCatalog().get('Llama-4-Scout-17B-16E-FP8')).moe!;
    expect(layerCost(scout, 2, h100, eff).fp8Extra).toBeCloseTo(6 * 2.2e-6, 12);
  });

  it('host step: the engine sets it, the same on every GPU, fitted by default', () => {
    const catalog = loadGpuCatalog();
    for (const name of ['A10', 'A100-80GB', 'L40S', 'H100-SXM']) {
      const g = catalog.get(name);
      const none = createRooflineTiming(g, model, 1, { hostStep: { baseS: 0, perSeqS: 0 } });
      const fitted = createRooflineTiming(g, model, 1);
      expect(fitted.stepTime(decodeStep(4, 400)) - none.stepTime(decodeStep(4, 400))).toBeCloseTo(FITTED_HOST_STEP.baseS, 12);
    }
    expect(FITTED_HOST_STEP).toEqual({ baseS: 0.25e-3, perSeqS: 0 });
  });

  it('step overhead: a base per step plus a term per sequence in the step', () => {
    const base = roofline(gpu, model, 1);
    const grown = roofline(gpu, model, 1, { hostStep: { baseS: 1e-3, perSeqS: 20e-6 } });
    // Decode: one sequence per token. Prefill: one per chunk, whatever its length.
    expect(grown.stepTime(decodeStep(8, 800)) - base.stepTime(decodeStep(8, 800))).toBeCloseTo(8 * 20e-6, 12);
    expect(grown.stepTime(freshPrefill(1000)) - base.stepTime(freshPrefill(1000))).toBeCloseTo(20e-6, 12);
    const mixed: BatchShape = { ...freshPrefill(500), decodeSeqs: 3, decodeContextTokens: 300 };
    expect(grown.stepTime(mixed) - base.stepTime(mixed)).toBeCloseTo(4 * 20e-6, 12);
  });

  it('top-p sampling: every row sorts its logits, 0.215 ns per logit at 3,350 GB/s scaled by bandwidth', () => {
    const sampling = roofline(gpu, { ...model, topPSampling: true }, 1);
    const greedy = roofline(gpu, model, 1);
    // 1,000 GB/s: 0.215 x 3.35 = 0.72025 ns per logit; 32,000 logits per row = 23.048 us.
    const perRow = 0.215e-9 * 3.35 * 32000;
    expect(sampling.stepTime(decodeStep(8, 800)) - greedy.stepTime(decodeStep(8, 800))).toBeCloseTo(8 * perRow, 12);
    const mixed: BatchShape = { ...freshPrefill(500), decodeSeqs: 3, decodeContextTokens: 300 };
    expect(sampling.stepTime(mixed) - greedy.stepTime(mixed)).toBeCloseTo(4 * perRow, 12);
    expect(8 * perRow).toBeCloseTo(184.384e-6, 9);
    // SGLang's sampler does not sort.
    const sglang = roofline(gpu, { ...model, topPSampling: true }, 1, { sortingSampler: false });
    expect(sglang.stepTime(decodeStep(8, 800))).toBe(greedy.stepTime(decodeStep(8, 800)));
  });

  it('shared prefix blocks: repeat reads served by L2 leave the KV read, pro rata once they overflow it', () => {
    // The credit takes tokens off the KV read inside attention's sqrt(compute^2 + memory^2).
    const cached = { ...gpu, l2CacheMB: 1 };
    const t = roofline(cached, model, 1);
    const plain = decodeStep(10, 100_000);
    // 1 MB of L2 holds 1e6 / 1,024 bytes per token and layer = 976.5625 tokens.
    const fits: BatchShape = { ...plain, sharedKvTokens: 4000, sharedKvDistinctTokens: 976.5625 };
    const spills: BatchShape = { ...plain, sharedKvTokens: 4000, sharedKvDistinctTokens: 2 * 976.5625 };
    const kvLayer = KV_BYTES_PER_TOKEN / 2 / BW;
    const compute = (100_000 * 4 * 1024) / FLOPS;
    const attn = (read: number) => 2 * hyp(compute, read * kvLayer);
    const pad = 10 * 16;
    expect(t.stepTime(plain) - t.stepTime(fits)).toBeCloseTo(attn(100_000 + pad) - attn(100_000 + pad - 4000), 12);
    // Twice the L2: half of the repeat reads hit it.
    expect(t.stepTime(plain) - t.stepTime(spills)).toBeCloseTo(attn(100_000 + pad) - attn(100_000 + pad - 2000), 12);
    // A GPU without an L2 figure gets no credit.
    expect(roofline(gpu, model, 1).stepTime(fits)).toBe(roofline(gpu, model, 1).stepTime(plain));
  });

  it('rounds matmul tokens up to the tile', () => {
    const tiled = roofline({ ...gpu, efficiency: { ...gpu.efficiency!, gemmTileTokens: 64 } }, model, 1);
    const at = (n: number): number => tiled.stepTime(freshPrefill(n));
    // 4000 tokens of prefill are compute-bound: 3969..4032 tokens share one tile count.
    expect(at(4001) - at(3970)).toBeLessThan(at(4033) - at(4001));
  });

  it('returns 0 for an empty batch and > 0 for any token', () => {
    const timing = roofline(gpu, model, 1);
    expect(timing.stepTime(decodeStep(0, 0))).toBe(0);
    expect(timing.stepTime(decodeStep(1, 1))).toBeGreaterThan(0);
  });

  it('uses datasheet defaults when a GPU has no efficiency', () => {
    const bare = { ...gpu, efficiency: undefined };
    expect(roofline(bare, model, 1).stepTime(decodeStep(1, 100))).toBeGreaterThan(0);
  });

  it('rejects a tensor parallelism that does not divide the heads', () => {
    expect(() => roofline(gpu, model, 3)).toThrow(InputError);
    expect(() => roofline(gpu, model, 0)).toThrow(/positive integer/);
    expect(() => createTimingModel({ kind: 'table', gpu, model, tp: 1 })).toThrow(/needs a table file/);
  });

  it('is monotone in every batch dimension, on every shipped GPU and model', () => {
    const gpus = loadGpuCatalog();
    const models = loadModelCatalog();
    const timings = gpus.names().flatMap((g) =>
      models.names().flatMap((m) => [1, 2, 4].map((tp) => createRooflineTiming(gpus.get(g), models.get(m), tp))),
    );
    const shape = fc.record({
      prefillTokens: fc.integer({ min: 0, max: 16384 }),
      prefillSeqs: fc.integer({ min: 0, max: 8 }),
      prefillAttentionPairs: fc.integer({ min: 0, max: 50_000_000 }),
      prefillContextTokens: fc.integer({ min: 0, max: 32768 }),
      decodeSeqs: fc.integer({ min: 0, max: 512 }),
      decodeContextTokens: fc.integer({ min: 0, max: 2_000_000 }),
      // Repeat reads make a step cheaper by design; held at none here.
      sharedKvTokens: fc.constant(0),
      sharedKvDistinctTokens: fc.constant(0),
    });
    const fields: (keyof BatchShape)[] = [
      'prefillTokens',
      'prefillSeqs',
      'prefillAttentionPairs',
      'prefillContextTokens',
      'decodeSeqs',
      'decodeContextTokens',
    ];
    fc.assert(
      fc.property(
        shape,
        fc.integer({ min: 0, max: timings.length - 1 }),
        fc.constantFrom(...fields),
        fc.integer({ min: 1, max: 4096 }),
        (b, i, field, extra) => {
          const t = timings[i];
          const bigger = { ...b, [field]: b[field] + extra };
          return t.stepTime(bigger) >= t.stepTime(b);
        },
      ),
      { numRuns: 2000, seed: 42 },
    );
  });

  it('decode attention: monotone in batch and context on every calibrated GPU, and one more sequence costs more than its KV', () => {
    const gpus = loadGpuCatalog();
    const llama = loadModelCatalog().get('Llama-3.1-8B');
    for (const name of gpus.names()) {
      const gpu = gpus.get(name);
      const t = roofline(gpu, llama, 1);
      let prevSeqs = 0;
      for (let seqs = 1; seqs <= 512; seqs *= 2) {
        let prevCtx = 0;
        for (const ctx of [16, 256, 1024, 4096, 16384]) {
          const step = t.stepTime(decodeStep(seqs, seqs * ctx));
          expect(step).toBeGreaterThan(prevCtx);
          prevCtx = step;
        }
        const step = t.stepTime(decodeStep(seqs, seqs * 1024));
        expect(step).toBeGreaterThan(prevSeqs);
        prevSeqs = step;
      }
      // The marginal cost of a 1024-token sequence in a batch of 64: at least its KV read at the
      // weight-streaming share (what the model charged before attention was calibrated).
      const marginal = t.stepTime(decodeStep(65, 65 * 1024)) - t.stepTime(decodeStep(64, 64 * 1024));
      const kvOnly = (1024 * 131072) / (gpu.memoryBandwidthGBs * 1e9 * gpu.efficiency!.mbu);
      expect(marginal).toBeGreaterThan(kvOnly);
    }
  });

  it('step time grows with batch size for decode and prefill', () => {
    const timing = createRooflineTiming(loadGpuCatalog().get('H20'), loadModelCatalog().get('Qwen2.5-7B'), 1);
    let prev = 0;
    for (let seqs = 1; seqs <= 1024; seqs *= 2) {
      const t = timing.stepTime(decodeStep(seqs, seqs * 1000));
      expect(t).toBeGreaterThan(prev);
      prev = t;
    }
    prev = 0;
    for (let n = 1; n <= 16384; n *= 2) {
      const t = timing.stepTime(freshPrefill(n));
      expect(t).toBeGreaterThanOrEqual(prev);
      prev = t;
    }
  });
});
