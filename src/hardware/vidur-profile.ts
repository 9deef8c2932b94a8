/**
 * Reads Vidur's per-layer operator profiles (mlp.csv: median milliseconds per op, one
 * transformer layer, by num_tokens and tensor parallelism) into calibration rows.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../input-error.js';
import { parseCsv } from './csv-lines.js';
import { denseLayerShape, type LayerShape } from './layer-cost.js';

/** The non-attention operators of one layer, as Vidur names them (embedding excluded). */
export const VIDUR_LAYER_OPS = [
  'input_layernorm',
  'attn_pre_proj',
  'attn_rope',
  'attn_post_proj',
  'post_attention_layernorm',
  'mlp_up_proj',
  'mlp_act',
  'mlp_down_proj',
  'add',
] as const;

/** One measured point: the non-attention time of one layer. */
export interface CalibrationRow {
  /** Vidur's model directory name ("Llama-2-7b-hf"). */
  model: string;
  dims: LayerShape;
  tp: number;
  tokens: number;
  /** Seconds per layer: sum of the op medians, averaged over repeated rows. */
  measuredS: number;
}

export interface VidurProfileFile {
  file: string;
  /** Vidur's device name: the file-name prefix ("a100"). */
  device: string;
  model: string;
}

/** The `<device>_<model>_mlp.csv` files in `dir`. */
export function listVidurProfiles(dir: string): VidurProfileFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new InputError(`cannot read directory (${(err as NodeJS.ErrnoException).code ?? String(err)})`, dir);
  }
  const found: VidurProfileFile[] = [];
  for (const name of names.sort()) {
    const m = /^([a-z0-9]+)_(.+)_mlp\.csv$/i.exec(name);
    if (m) found.push({ file: join(dir, name), device: m[1].toLowerCase(), model: m[2] });
  }
  if (found.length === 0) throw new InputError('no Vidur profiles (<device>_<model>_mlp.csv) found', dir);
  return found;
}

export function readVidurProfile(file: string, model: string): CalibrationRow[] {
  const csv = parseCsv(readFileSync(file, 'utf8'));
  if (!csv) throw new InputError('empty profile', file);
  const col = (name: string): number => {
    const i = csv.header.indexOf(name);
    if (i < 0) throw new InputError(`missing column "${name}"`, file, `line ${csv.headerLine}`);
    return i;
  };
  const opCols = VIDUR_LAYER_OPS.map((op) => col(`time_stats.${op}.median`));
  const c = {
    heads: col('n_head'),
    kvHeads: col('n_kv_head'),
    hidden: col('n_embd'),
    inter: col('n_expanded_embd'),
    tokens: col('num_tokens'),
    tp: col('num_tensor_parallel_workers'),
  };
  const sums = new Map<string, { dims: LayerShape; tp: number; tokens: number; total: number; count: number }>();
  for (const row of csv.rows) {
    const num = (i: number): number => {
      const v = Number(row.cells[i]);
      if (row.cells[i] === undefined || row.cells[i] === '' || !Number.isFinite(v)) {
        throw new InputError(`column "${csv.header[i]}" is not a number`, file, `line ${row.line}`);
      }
      return v;
    };
    const heads = num(c.heads);
    const hidden = num(c.hidden);
    const headDim = hidden / heads;
    const dims = denseLayerShape({
      hidden,
      qDim: hidden,
      kvDim: num(c.kvHeads) * headDim,
      intermediate: num(c.inter),
      dtypeBytes: 2, // Vidur profiles in FP16
    });
    const tp = num(c.tp);
    const tokens = num(c.tokens);
    const ms = opCols.reduce((s, i) => s + num(i), 0);
    const key = `${tp}|${tokens}`;
    const prev = sums.get(key);
    if (prev) {
      prev.total += ms;
      prev.count++;
    } else {
      sums.set(key, { dims, tp, tokens, total: ms, count: 1 });
    }
  }
  return [...sums.values()]
    .map((s) => ({ model, dims: s.dims, tp: s.tp, tokens: s.tokens, measuredS: s.total / s.count / 1000 }))
    .sort((a, b) => a.tp - b.tp || a.tokens - b.tokens);
}

/**
 * A table of Vidur operator medians for several models in one file (the A10 profiles of the
 * pouyahmdn/vidur fork, as gpu_measurements/PROVENANCE.md describes): columns model, tp,
 * num_tokens, n_embd, n_expanded_embd and `<op>_median_ms`. It has no head counts, so
 * `shapeOf` supplies each model's (heads, kvHeads) from the catalog; models it does not know
 * are skipped and listed.
 */
export function readVidurOpsTable(
  file: string,
  shapeOf: (model: string) => { name: string; heads: number; kvHeads: number } | undefined,
): { rows: CalibrationRow[]; skipped: string[] } {
  const csv = parseCsv(readFileSync(file, 'utf8'));
  if (!csv) throw new InputError('empty profile', file);
  const col = (name: string): number => {
    const i = csv.header.indexOf(name);
    if (i < 0) throw new InputError(`missing column "${name}"`, file, `line ${csv.headerLine}`);
    return i;
  };
  const opCols = VIDUR_LAYER_OPS.map((op) => col(`${op}_median_ms`));
  const c = { model: col('model'), tp: col('tp'), tokens: col('num_tokens'), hidden: col('n_embd'), inter: col('n_expanded_embd') };
  const sums = new Map<string, { model: string; dims: LayerShape; tp: number; tokens: number; total: number; count: number }>();
  const skipped = new Set<string>();
  for (const row of csv.rows) {
    const num = (i: number): number => {
      const v = Number(row.cells[i]);
      if (row.cells[i] === undefined || row.cells[i] === '' || !Number.isFinite(v)) {
        throw new InputError(`column "${csv.header[i]}" is not a number`, file, `line ${row.line}`);
      }
      return v;
    };
    const source = row.cells[c.model];
    const shape = shapeOf(source);
    if (!shape) {
      skipped.add(source);
      continue;
    }
    const hidden = num(c.hidden);
    const headDim = hidden / shape.heads;
    const tp = num(c.tp);
    const tokens = num(c.tokens);
    const ms = opCols.reduce((s, i) => s + num(i), 0);
    const key = `${shape.name}|${tp}|${tokens}`;
    const prev = sums.get(key);
    if (prev) {
      prev.total += ms;
      prev.count++;
    } else {
      const dims = denseLayerShape({ hidden, qDim: hidden, kvDim: shape.kvHeads * headDim, intermediate: num(c.inter), dtypeBytes: 2 });
      sums.set(key, { model: shape.name, dims, tp, tokens, total: ms, count: 1 });
    }
  }
  const rows = [...sums.values()]
    .map((s) => ({ model: s.model, dims: s.dims, tp: s.tp, tokens: s.tokens, measuredS: s.total / s.count / 1000 }))
    .sort((a, b) => a.model.localeCompare(b.model) || a.tp - b.tp || a.tokens - b.tokens);
  return { rows, skipped: [...skipped] };
}
