/** Markdown rendering of a calibration report (what `sim calibrate` prints and docs/timing.md shows). */
import { SMALL_BATCH_TOKENS, type CalibrationReport, type ErrorSummary, type GpuCalibration } from './calibrate.js';

/** Token counts shown in the per-point table by default. */
export const REPORT_TOKENS = [1, 8, 32, 64, 128, 256, 512, 1024, 2048, 4096];

export interface ReportOptions {
  /** Token counts for the per-point table; 'all' lists every measured point. */
  tokens?: number[] | 'all';
}

export function formatCalibrationReport(report: CalibrationReport, opts: ReportOptions = {}): string {
  const out: string[] = [];
  out.push(`Calibration against ${report.dir} (non-attention forward time, 1-${report.maxTokens} tokens)`, '');
  out.push(`| GPU | mfu | mbu | elementwiseMbu | layerOverhead (us) | gemmTileTokens | median err | p95 err | worst err (at) | within 15% | worst err, <= ${SMALL_BATCH_TOKENS} tokens | max() instead of smooth: median / worst |`);
  out.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const g of report.gpus) {
    const e = g.efficiency;
    out.push(
      `| ${g.gpu} | ${e.mfu} | ${e.mbu} | ${e.elementwiseMbu} | ${us(e.layerOverheadS)} | ${e.gemmTileTokens} | ` +
        `${pct(g.overall.medianAbsPct)} | ${pct(g.overall.p95AbsPct)} | ${worst(g.overall)} | ${share(g.overall.within15)} | ${worst(g.smallBatch)} | ` +
        `${pct(g.maxCombination.medianAbsPct)} / ${signed(g.maxCombination.worstPct)} |`,
    );
  }
  out.push('');
  const stale = report.gpus.filter((g) => g.catalog && !sameFactors(g));
  for (const g of stale) {
    out.push(
      `Note: the catalog's factors for ${g.gpu} differ from this fit (catalog: median ${pct(g.catalog!.overall.medianAbsPct)}, ` +
        `worst ${signed(g.catalog!.overall.worstPct)}).`,
    );
  }
  if (stale.length) out.push('');

  out.push('| GPU | model | TP | points | median err | p95 err | worst err (tokens) | within 15% |');
  out.push('|---|---|---|---|---|---|---|---|');
  for (const g of report.gpus) {
    for (const m of g.byModel) {
      out.push(`| ${g.gpu} | ${m.model} | all | ${summaryCells(m.summary)} |`);
    }
    for (const m of g.byModelTp) {
      out.push(`| ${g.gpu} | ${m.model} | ${m.tp} | ${summaryCells(m.summary)} |`);
    }
  }
  out.push('');

  const tokens = opts.tokens ?? REPORT_TOKENS;
  out.push('| tokens | GPU | model | TP | measured ms | model ms | error |');
  out.push('|---|---|---|---|---|---|---|');
  for (const g of report.gpus) {
    for (const p of g.points) {
      if (tokens !== 'all' && !tokens.includes(p.tokens)) continue;
      out.push(`| ${p.tokens} | ${g.gpu} | ${p.model} | ${p.tp} | ${p.measuredMs.toFixed(2)} | ${p.modelMs.toFixed(2)} | ${signed(p.errorPct)} |`);
    }
  }
  if (report.skipped.length) {
    out.push('', 'Skipped:', ...report.skipped.map((s) => `- ${s}`));
  }
  return out.join('\n') + '\n';
}

function sameFactors(g: GpuCalibration): boolean {
  const a = g.catalog!.efficiency;
  const b = g.efficiency;
  return (
    a.mfu === b.mfu &&
    a.mbu === b.mbu &&
    a.elementwiseMbu === b.elementwiseMbu &&
    a.layerOverheadS === b.layerOverheadS &&
    a.gemmTileTokens === b.gemmTileTokens
  );
}

function summaryCells(s: ErrorSummary): string {
  return `${s.points} | ${pct(s.medianAbsPct)} | ${pct(s.p95AbsPct)} | ${signed(s.worstPct)} (${s.worstAt.tokens}) | ${share(s.within15)}`;
}

function worst(s: ErrorSummary): string {
  return `${signed(s.worstPct)} (${s.worstAt.model} tp${s.worstAt.tp} ${s.worstAt.tokens} tok)`;
}

const pct = (v: number): string => `${v.toFixed(1)}%`;
const signed = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(1)}%`;
const share = (v: number): string => `${(v * 100).toFixed(1)}%`;
const us = (s: number | undefined): string => ((s ?? 0) * 1e6).toFixed(1);
