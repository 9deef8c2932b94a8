/** Writes any timing model out as a step-time table in the layout table-timing.ts reads. */
import { TABLE_COLUMNS } from './timing-table.js';
import type { BatchShape, TimingModel } from './types.js';

export interface TableGrid {
  gpu: string;
  model: string;
  tp: number;
  /** Prompt lengths for the prefill rows. */
  prefillTokens: number[];
  /** Batch sizes for the decode rows. */
  decodeSeqs: number[];
  /** Context length per decoding sequence; each decode row's decode_context is seqs x this. */
  contextPerSeq: number[];
}

export function timingTableCsv(timing: TimingModel, grid: TableGrid, comment?: string): string {
  const lines: string[] = [];
  if (comment) for (const c of comment.split('\n')) lines.push(`# ${c}`);
  lines.push(TABLE_COLUMNS.join(','));
  const row = (prefill: number, seqs: number, context: number, b: BatchShape): void => {
    const ms = timing.stepTime(b) * 1000;
    lines.push([grid.gpu, grid.model, grid.tp, prefill, seqs, context, ms.toFixed(4)].join(','));
  };
  for (const n of grid.prefillTokens) {
    row(n, 0, 0, freshPrefill(n));
  }
  for (const seqs of grid.decodeSeqs) {
    for (const perSeq of grid.contextPerSeq) {
      row(0, seqs, seqs * perSeq, decodeStep(seqs, seqs * perSeq));
    }
  }
  return lines.join('\n') + '\n';
}

/** One fresh prompt of `n` tokens prefilled in one step. */
export function freshPrefill(n: number): BatchShape {
  return {
    prefillTokens: n,
    prefillSeqs: 1,
    prefillAttentionPairs: (n * n) / 2,
    prefillContextTokens: n,
    decodeSeqs: 0,
    decodeContextTokens: 0,
    sharedKvTokens: 0,
    sharedKvDistinctTokens: 0,
  };
}

export function decodeStep(seqs: number, totalContext: number): BatchShape {
  return {
    prefillTokens: 0,
    prefillSeqs: 0,
    prefillAttentionPairs: 0,
    prefillContextTokens: 0,
    decodeSeqs: seqs,
    decodeContextTokens: totalContext,
    sharedKvTokens: 0,
    sharedKvDistinctTokens: 0,
  };
}
