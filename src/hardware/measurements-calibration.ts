/**
 * Calibration against the kernel tables of ../shared/data/gpu_measurements (`sim calibrate
 * --measurements <dir>`): the A10's non-attention layer factors from its Vidur-format operator
 * profiles, attention constants for H200, L40S and H800, and all-reduce fits for H200 and
 * L40S. Prints what profiles/gpus.yaml holds, with the errors docs/timing.md shows.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fitAllReduce, type AllReduceTpFit } from './allreduce-fit.js';
import { fitDecodeAttention, fitPrefillAttention, type DecodeAttentionFit, type PrefillAttentionFit } from './attention-fit.js';
import { calibrateGpu, type GpuCalibration } from './calibrate.js';
import { loadGpuCatalog, type GpuCatalog } from './gpu-catalog.js';
import { fitGemm, type GemmFit } from './gemm-fit.js';
import { readAicAllReduce, readAicDecodeAttention, readAicGemm, readAicPrefillAttention, readFrontierDecodeAttention } from './kernel-tables.js';
import { loadModelCatalog, type ModelCatalog } from './model-catalog.js';
import { resolveEfficiency } from './efficiency.js';
import { readVidurOpsTable } from './vidur-profile.js';
import { InputError } from '../input-error.js';

/** The files used, relative to the gpu_measurements directory. */
export const MEASUREMENT_FILES = {
  a10Ops: 'vidur-fork-pouyahmdn_a10_mlp_ops.csv',
  decode: {
    H200: { file: 'aic_h200_vllm-0.24.0_generation_attention.csv', kernels: ['vllm_flash_attn_fa3'] },
    L40S: { file: 'aic_l40s_vllm-0.24.0_generation_attention.csv', kernels: ['vllm_flash_attn_fa2'] },
  },
  prefill: {
    H200: { file: 'aic_h200_vllm-0.24.0_context_attention.csv', kernels: ['vllm_flash_attn_fa3'] },
    L40S: { file: 'aic_l40s_vllm-0.24.0_context_attention.csv', kernels: ['vllm_flash_attn_fa2'] },
  },
  h800Decode: 'frontier_h800_attention.csv',
  comm: { H200: 'aic_h200_comm.csv', L40S: 'aic_l40s_comm.csv' },
  gemm: { H200: 'aic_h200_vllm-0.24.0_gemm.csv', L40S: 'aic_l40s_vllm-0.24.0_gemm.csv' },
} as const;

/** Hugging Face names in the A10 profiles mapped to catalog models. */
export const A10_PROFILE_MODELS: Record<string, string> = {
  'meta-llama/Llama-2-7b-hf': 'Llama-2-7B',
  'meta-llama/Meta-Llama-3-8B': 'Llama-3-8B',
  'codellama/CodeLlama-34b-Instruct-hf': 'CodeLlama-34B',
  'meta-llama/Llama-2-70b-hf': 'Llama-2-70B',
  'meta-llama/Meta-Llama-3-70B': 'Llama-3-70B',
};

export interface MeasurementsReport {
  dir: string;
  a10?: Omit<GpuCalibration, 'device'>;
  decode: { gpu: string; kernel: string; fit: DecodeAttentionFit; note?: string }[];
  prefill: { gpu: string; kernel: string; fit: PrefillAttentionFit }[];
  allReduce: { gpu: string; fits: AllReduceTpFit[] }[];
  gemm: { gpu: string; fit: GemmFit }[];
  missing: string[];
}

export function calibrateAgainstMeasurements(dir: string, opts: { gpus?: GpuCatalog; models?: ModelCatalog } = {}): MeasurementsReport {
  if (!existsSync(dir)) throw new InputError('no such directory', dir);
  const gpus = opts.gpus ?? loadGpuCatalog();
  const models = opts.models ?? loadModelCatalog();
  const missing: string[] = [];
  const path = (f: string): string | undefined => {
    const p = join(dir, f);
    if (existsSync(p)) return p;
    missing.push(f);
    return undefined;
  };
  const report: MeasurementsReport = { dir, decode: [], prefill: [], allReduce: [], gemm: [], missing };

  const a10File = path(MEASUREMENT_FILES.a10Ops);
  if (a10File) {
    const { rows } = readVidurOpsTable(a10File, (hf) => {
      const name = A10_PROFILE_MODELS[hf];
      if (!name || !models.has(name)) return undefined;
      const m = models.get(name);
      return { name, heads: m.heads, kvHeads: m.kvHeads };
    });
    report.a10 = calibrateGpu(rows.filter((r) => r.tokens <= 4096), gpus.get('A10'), (m) => models.get(m).layers, 'a10 (vidur fork)');
  }

  for (const [gpuName, { file, kernels }] of Object.entries(MEASUREMENT_FILES.decode)) {
    const p = path(file);
    if (!p) continue;
    const gpu = gpus.get(gpuName);
    const rows = readAicDecodeAttention(p, kernels).filter((r) => r.kvBytes === 2);
    report.decode.push({ gpu: gpuName, kernel: kernels.join(', '), fit: fitDecodeAttention(rows, gpu, resolveEfficiency(gpu).mfu) });
  }
  const h800 = path(MEASUREMENT_FILES.h800Decode);
  if (h800) {
    const gpu = gpus.get('H800');
    // The table's long-context calls imply more than HBM3's 3.35 TB/s (docs/timing.md), so its
    // bandwidth is not fitted: the GPU's own weight-streaming mbu stands in.
    const mbu = resolveEfficiency(gpu).mbu;
    report.decode.push({
      gpu: 'H800',
      kernel: 'FlashInfer (Frontier, kernel-only)',
      fit: fitDecodeAttention(readFrontierDecodeAttention(h800), gpu, resolveEfficiency(gpu).mfu, mbu),
      note: `mbu not fitted (held at ${mbu})`,
    });
  }
  for (const [gpuName, { file, kernels }] of Object.entries(MEASUREMENT_FILES.prefill)) {
    const p = path(file);
    if (!p) continue;
    report.prefill.push({ gpu: gpuName, kernel: kernels.join(', '), fit: fitPrefillAttention(readAicPrefillAttention(p, kernels), gpus.get(gpuName)) });
  }
  for (const [gpuName, file] of Object.entries(MEASUREMENT_FILES.comm)) {
    const p = path(file);
    if (!p) continue;
    report.allReduce.push({ gpu: gpuName, fits: fitAllReduce(readAicAllReduce(p), gpus.get(gpuName)) });
  }
  for (const [gpuName, file] of Object.entries(MEASUREMENT_FILES.gemm)) {
    const p = path(file);
    if (!p) continue;
    report.gemm.push({ gpu: gpuName, fit: fitGemm(readAicGemm(p), gpus.get(gpuName)) });
  }
  return report;
}

export function formatMeasurementsReport(r: MeasurementsReport): string {
  const out: string[] = [`Calibration against ${r.dir}`, ''];
  const pct = (v: number): string => `${v.toFixed(1)}%`;
  const signed = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(1)}%`;
  if (r.a10) {
    const e = r.a10.efficiency;
    const o = r.a10.overall;
    out.push('A10 non-attention layer (Vidur-format operator profiles, 1-4096 tokens):', '');
    out.push('| mfu | mbu | elementwiseMbu | layerOverhead (us) | gemmTileTokens | points | median err | p95 err | within 15% |');
    out.push('|---|---|---|---|---|---|---|---|---|');
    out.push(
      `| ${e.mfu} | ${e.mbu} | ${e.elementwiseMbu} | ${((e.layerOverheadS ?? 0) * 1e6).toFixed(1)} | ${e.gemmTileTokens} | ${o.points} | ${pct(o.medianAbsPct)} | ${pct(o.p95AbsPct)} | ${(o.within15 * 100).toFixed(1)}% |`,
      '',
    );
    out.push('| model | points | median err | p95 err | within 15% |', '|---|---|---|---|---|');
    for (const m of r.a10.byModel) {
      out.push(`| ${m.model} | ${m.summary.points} | ${pct(m.summary.medianAbsPct)} | ${pct(m.summary.p95AbsPct)} | ${(m.summary.within15 * 100).toFixed(1)}% |`);
    }
    out.push('');
  }
  if (r.decode.length) {
    out.push('Decode attention, per layer (fixed + seqs x (perSeq + kvHeads x perSeqHead) + KV read):', '');
    out.push('| GPU | kernel | fixed (us) | perSeq (ns) | perSeqHead (ns) | padTokens | mbu | short ctx: median / p90 err | large KV: median / p90 / signed median | mid (L2-resident) signed median |');
    out.push('|---|---|---|---|---|---|---|---|---|---|');
    for (const d of r.decode) {
      const f = d.fit;
      const e = f.errors;
      out.push(
        `| ${d.gpu} | ${d.kernel} | ${(f.fixedS * 1e6).toFixed(2)} | ${(f.perSeqS * 1e9).toFixed(1)} | ${(f.perSeqHeadS * 1e9).toFixed(1)} | ${f.padTokens.toFixed(0)} | ${f.mbu.toFixed(3)}${d.note ? ` (${d.note})` : ''} | ` +
          `${pct(e.short.medianPct)} / ${pct(e.short.p90Pct)} (${e.short.points}) | ${pct(e.large.medianPct)} / ${pct(e.large.p90Pct)} / ${signed(e.large.signedMedianPct)} (${e.large.points}) | ${signed(e.mid.signedMedianPct)} (${e.mid.points}) |`,
      );
    }
    out.push('');
  }
  if (r.prefill.length) {
    out.push('Prefill attention (compute-bound calls, >= 1e11 FLOPs):', '', '| GPU | kernel | prefillMfu | points | median err | p90 err |', '|---|---|---|---|---|---|');
    for (const p of r.prefill) {
      out.push(`| ${p.gpu} | ${p.kernel} | ${p.fit.prefillMfu.toFixed(3)} | ${p.fit.points} | ${pct(p.fit.medianPct)} | ${pct(p.fit.p90Pct)} |`);
    }
    out.push('');
  }
  if (r.allReduce.length) {
    out.push('All-reduce (fastest of vLLM custom all-reduce and NCCL, 256 B-64 MiB):', '', '| GPU | TP | latency (us) | bus GB/s | points | median err | p90 err |', '|---|---|---|---|---|---|---|');
    for (const a of r.allReduce) {
      for (const f of a.fits) {
        out.push(`| ${a.gpu} | ${f.tp} | ${(f.latencyS * 1e6).toFixed(2)} | ${f.busGBs.toFixed(0)} | ${f.points} | ${pct(f.medianPct)} | ${pct(f.p90Pct)} |`);
      }
    }
    out.push('');
  }
  if (r.gemm.length) {
    out.push('Matmuls (BF16 GEMMs of LLM weight shapes, M <= 8192, calls >= 20 us):', '', '| GPU | mfu | mbu | gemmTileTokens | points | median err | p90 err |', '|---|---|---|---|---|---|---|');
    for (const g of r.gemm) {
      out.push(`| ${g.gpu} | ${g.fit.mfu} | ${g.fit.mbu} | ${g.fit.gemmTileTokens} | ${g.fit.points} | ${pct(g.fit.medianPct)} | ${pct(g.fit.p90Pct)} |`);
    }
    out.push('');
  }
  if (r.missing.length) out.push(`Not found (skipped): ${r.missing.join(', ')}`);
  return out.join('\n');
}
