/**
 * Step-time tables: measured step times in a CSV, read, validated and selected for one
 * (GPU, model, tp). Layout (docs/timing.md):
 *
 *   gpu,model,tp,prefill_tokens,decode_seqs,decode_context,step_ms
 *
 * A prefill row (decode_seqs = 0) times a step that prefills one fresh prompt of
 * prefill_tokens tokens. A decode row (prefill_tokens = 0) times a step decoding decode_seqs
 * sequences whose contexts sum to decode_context tokens. Mixed rows are not accepted.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../input-error.js';
import { parseCsv, type CsvRow } from './csv-lines.js';

export const TABLE_COLUMNS = ['gpu', 'model', 'tp', 'prefill_tokens', 'decode_seqs', 'decode_context', 'step_ms'] as const;

export interface TableRow {
  line: number;
  gpu: string;
  model: string;
  tp: number;
  prefillTokens: number;
  decodeSeqs: number;
  decodeContext: number;
  stepS: number;
}

/** What to select from a table: a name, or a catalog entry whose name and aliases all match. */
export interface TableSelect {
  gpu?: string | { name: string; aliases?: string[] };
  model?: string | { name: string; aliases?: string[] };
  tp?: number;
}

export function readTimingTable(file: string): TableRow[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read timing table (${(err as NodeJS.ErrnoException).code ?? String(err)})`, file);
  }
  return parseTimingTable(text, file);
}

export function parseTimingTable(text: string, file: string): TableRow[] {
  const csv = parseCsv(text);
  if (!csv) throw new InputError('empty timing table: expected a header row', file);
  const col = new Map(csv.header.map((name, i) => [name, i]));
  for (const name of TABLE_COLUMNS) {
    if (!col.has(name)) {
      throw new InputError(`missing column "${name}" (expected ${TABLE_COLUMNS.join(',')})`, file, `line ${csv.headerLine}`);
    }
  }
  const seen = new Map<string, number>();
  return csv.rows.map((row) => {
    const parsed = parseRow(row, csv.header.length, col, file);
    const key = [parsed.gpu, parsed.model, parsed.tp, parsed.prefillTokens, parsed.decodeSeqs, parsed.decodeContext]
      .join('|')
      .toLowerCase();
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      throw new InputError(`duplicate measurement point (same as line ${earlier})`, file, `line ${row.line}`);
    }
    seen.set(key, row.line);
    return parsed;
  });
}

function parseRow(row: CsvRow, width: number, col: Map<string, number>, file: string): TableRow {
  const where = `line ${row.line}`;
  if (row.cells.length !== width) {
    throw new InputError(`expected ${width} fields, found ${row.cells.length}`, file, where);
  }
  const text = (name: string): string => {
    const v = row.cells[col.get(name)!];
    if (v === '') throw new InputError(`empty ${name}`, file, where);
    return v;
  };
  const num = (name: string, kind: 'int' | 'nonneg' | 'positive'): number => {
    const raw = text(name);
    const v = Number(raw);
    const ok =
      Number.isFinite(v) && (kind === 'int' ? Number.isInteger(v) && v >= 0 : kind === 'nonneg' ? v >= 0 : v > 0);
    if (!ok) {
      const want = kind === 'int' ? 'a non-negative integer' : kind === 'nonneg' ? 'a number >= 0' : 'a number > 0';
      throw new InputError(`${name} must be ${want}, got ${JSON.stringify(raw)}`, file, where);
    }
    return v;
  };
  const tp = num('tp', 'int');
  if (tp < 1) throw new InputError('tp must be >= 1', file, where);
  const r: TableRow = {
    line: row.line,
    gpu: text('gpu'),
    model: text('model'),
    tp,
    prefillTokens: num('prefill_tokens', 'int'),
    decodeSeqs: num('decode_seqs', 'int'),
    decodeContext: num('decode_context', 'nonneg'),
    stepS: num('step_ms', 'positive') / 1000,
  };
  if (r.prefillTokens > 0 && r.decodeSeqs > 0) {
    throw new InputError('a row is either prefill (decode_seqs = 0) or decode (prefill_tokens = 0), not both', file, where);
  }
  if (r.prefillTokens === 0 && r.decodeSeqs === 0) {
    throw new InputError('a row needs prefill_tokens > 0 or decode_seqs > 0', file, where);
  }
  if (r.decodeSeqs === 0 && r.decodeContext > 0) {
    throw new InputError('decode_context must be 0 on a prefill row', file, where);
  }
  return r;
}

/** The rows for one (gpu, model, tp); when a field of `select` is absent the file must hold one value of it. */
export function selectRows(rows: TableRow[], select: TableSelect, file: string): TableRow[] {
  const matches = (value: string, want: TableSelect['gpu']): boolean => {
    if (want === undefined) return true;
    const names = typeof want === 'string' ? [want] : [want.name, ...(want.aliases ?? [])];
    return names.some((n) => n.toLowerCase() === value.toLowerCase());
  };
  const picked = rows.filter(
    (r) => matches(r.gpu, select.gpu) && matches(r.model, select.model) && (select.tp === undefined || r.tp === select.tp),
  );
  const combos = [...new Set(picked.map((r) => `${r.gpu}/${r.model}/tp${r.tp}`.toLowerCase()))];
  if (combos.length === 0) {
    const available = [...new Set(rows.map((r) => `${r.gpu}/${r.model}/tp${r.tp}`))].join(', ');
    const wanted = `${nameOf(select.gpu)}/${nameOf(select.model)}/tp${select.tp ?? '*'}`;
    throw new InputError(`no rows for ${wanted} (table has: ${available || 'no rows'})`, file);
  }
  if (combos.length > 1) {
    throw new InputError(`table holds several (gpu, model, tp) combinations (${combos.join(', ')}); say which one`, file);
  }
  return picked;
}

function nameOf(v: TableSelect['gpu']): string {
  return v === undefined ? '*' : typeof v === 'string' ? v : v.name;
}
