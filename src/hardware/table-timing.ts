/**
 * The table timing model: interpolates measured step times (timing-table.ts reads them).
 *
 * - Prefill: time of a fresh prompt of n tokens, piecewise linear in n; held flat below the
 *   smallest measured n, extended along the last segment above the largest.
 * - Decode: for each measured batch size, piecewise linear in total context (held flat below
 *   the smallest measured context, extended above the largest); between batch sizes, linear at
 *   the same total context; held flat below the smallest batch size, extended above the largest.
 * - Mixed steps (chunked prefill with decodes): the matmuls run over prefill + decode tokens,
 *   which the prefill curve measures, plus the attention over the decodes' context and the
 *   chunks' earlier context, which the decode surface measures as the growth of step time with
 *   context: prefill(P + D) + [decode(D, ctx) - decode(D, 0)].
 */
import { bisectRight } from 'd3-array';
import { InputError } from '../input-error.js';
import { piecewiseLinear, type PiecewiseLinear } from './piecewise-linear.js';
import { readTimingTable, selectRows, type TableRow, type TableSelect } from './timing-table.js';
import type { BatchShape, TimingModel } from './types.js';

export function createTableTiming(file: string, select: TableSelect = {}): TimingModel {
  const rows = selectRows(readTimingTable(file), select, file);
  const prefillRows = rows.filter((r) => r.decodeSeqs === 0).sort((a, b) => a.prefillTokens - b.prefillTokens);
  const decodeRows = rows.filter((r) => r.decodeSeqs > 0);
  if (prefillRows.length === 0 || decodeRows.length === 0) {
    const missing = prefillRows.length === 0 ? 'prefill rows (decode_seqs = 0)' : 'decode rows (prefill_tokens = 0)';
    throw new InputError(`timing table needs ${missing} for ${rows[0].gpu}/${rows[0].model}/tp${rows[0].tp}`, file);
  }
  const prefill = piecewiseLinear(
    prefillRows.map((r) => r.prefillTokens),
    prefillRows.map((r) => r.stepS),
    { below: 'clamp' },
  );
  const decode = decodeSurface(decodeRows, 'clamp');
  // Only differences of this one are used, so extending it down to context 0 is safe.
  const decodeExtended = decodeSurface(decodeRows, 'extend');
  const first = rows[0];
  return {
    name: `table:${first.gpu}/${first.model}/tp${first.tp}`,
    stepTime(b: BatchShape): number {
      const decodes = b.decodeSeqs;
      const tokens = b.prefillTokens + decodes;
      if (tokens <= 0) return 0;
      if (b.prefillTokens === 0) return decode(decodes, b.decodeContextTokens);
      const priorContext = Math.max(0, b.prefillContextTokens - b.prefillTokens);
      const seqs = decodes > 0 ? decodes : 1;
      const context = b.decodeContextTokens + priorContext;
      const contextCost = context > 0 ? Math.max(0, decodeExtended(seqs, context) - decodeExtended(seqs, 0)) : 0;
      return prefill.at(tokens) + contextCost;
    },
  };
}

/** Step time of a pure decode step as a function of (sequences, total context). */
function decodeSurface(rows: TableRow[], below: 'clamp' | 'extend'): (seqs: number, context: number) => number {
  const bySeqs = new Map<number, TableRow[]>();
  for (const r of rows) {
    const group = bySeqs.get(r.decodeSeqs);
    if (group) group.push(r);
    else bySeqs.set(r.decodeSeqs, [r]);
  }
  const seqs = Float64Array.from([...bySeqs.keys()].sort((a, b) => a - b));
  const curves: PiecewiseLinear[] = [...seqs].map((s) => {
    const pts = bySeqs.get(s)!.sort((a, b) => a.decodeContext - b.decodeContext);
    return piecewiseLinear(
      pts.map((p) => p.decodeContext),
      pts.map((p) => p.stepS),
      { below },
    );
  });
  const n = seqs.length;
  return (s: number, context: number): number => {
    if (s <= seqs[0]) return curves[0].at(context);
    if (s >= seqs[n - 1]) {
      const last = curves[n - 1].at(context);
      if (n === 1) return last;
      const slope = Math.max(0, (last - curves[n - 2].at(context)) / (seqs[n - 1] - seqs[n - 2]));
      return last + (s - seqs[n - 1]) * slope;
    }
    const i = bisectRight(seqs, s);
    const lo = curves[i - 1].at(context);
    const hi = curves[i].at(context);
    const t = (s - seqs[i - 1]) / (seqs[i] - seqs[i - 1]);
    return lo + t * (hi - lo);
  };
}
