import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createRooflineTiming,
  createTableTiming,
  createTimingModel,
  decodeStep,
  freshPrefill,
  loadGpuCatalog,
  loadModelCatalog,
  timingTableCsv,
  type BatchShape,
} from '../../src/hardware/index.js';
import { InputError } from '../../src/input-error.js';

const dir = mkdtempSync(join(tmpdir(), 'routesim-table-'));
let counter = 0;
function table(lines: string[]): string {
  const file = join(dir, `t${counter++}.csv`);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const HEADER = 'gpu,model,tp,prefill_tokens,decode_seqs,decode_context,step_ms';
const fixture = [
  '# a small measured table',
  HEADER,
  'G1,M1,1,100,0,0,10',
  'G1,M1,1,200,0,0,14',
  'G1,M1,1,400,0,0,30',
  '',
  'G1,M1,1,0,1,100,5',
  'G1,M1,1,0,1,1100,6',
  'G1,M1,1,0,4,400,8',
  'G1,M1,1,0,4,4400,12',
  'G1,M1,2,100,0,0,7',
  'G1,M1,2,0,1,100,3',
];

const ms = (s: number): number => s * 1000;

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

describe('table timing', () => {
  const file = table(fixture);
  const t = createTableTiming(file, { gpu: 'g1', model: 'M1', tp: 1 });

  it('reproduces measured points', () => {
    expect(ms(t.stepTime(freshPrefill(200)))).toBeCloseTo(14, 9);
    expect(ms(t.stepTime(decodeStep(4, 4400)))).toBeCloseTo(12, 9);
    expect(ms(t.stepTime(decodeStep(1, 100)))).toBeCloseTo(5, 9);
  });

  it('interpolates linearly between points', () => {
    expect(ms(t.stepTime(freshPrefill(300)))).toBeCloseTo(22, 9);
    // context halfway on the 1-seq curve
    expect(ms(t.stepTime(decodeStep(1, 600)))).toBeCloseTo(5.5, 9);
    // 2 seqs at total context 1100: 1-seq curve gives 6; 4-seq curve gives 8 + 700/4000*4 = 8.7
    expect(ms(t.stepTime(decodeStep(2, 1100)))).toBeCloseTo(6 + (1 / 3) * (8.7 - 6), 9);
  });

  it('extrapolates: flat below the smallest prefill, along the last segment above', () => {
    expect(ms(t.stepTime(freshPrefill(10)))).toBeCloseTo(10, 9);
    expect(ms(t.stepTime(freshPrefill(800)))).toBeCloseTo(30 + 400 * (16 / 200), 9);
    // 8 seqs: extend from the 1- and 4-seq curves at context 4400
    const c1 = 6 + (3300 / 1000) * 1;
    const slope = (12 - c1) / 3;
    expect(ms(t.stepTime(decodeStep(8, 4400)))).toBeCloseTo(12 + 4 * slope, 9);
    // below the smallest measured context the decode curve holds flat
    expect(ms(t.stepTime(decodeStep(1, 10)))).toBeCloseTo(5, 9);
  });

  it('prices a mixed step as prefill of all tokens plus the decodes context cost', () => {
    const mixed: BatchShape = { ...freshPrefill(196), decodeSeqs: 4, decodeContextTokens: 4400 };
    // prefill(200) = 14; context cost on the 4-seq curve: 12 - (8 - 400/1000) = 4.4
    expect(ms(t.stepTime(mixed))).toBeCloseTo(14 + 4.4, 9);
  });

  it('charges a chunk for its earlier context', () => {
    const chunk: BatchShape = { ...freshPrefill(200), prefillContextTokens: 1200 };
    // 1000 prior tokens on the 1-seq curve: slope 1 ms per 1000 tokens.
    expect(ms(t.stepTime(chunk))).toBeCloseTo(15, 9);
  });

  it('is monotone in batch size', () => {
    let prev = 0;
    for (let seqs = 1; seqs <= 64; seqs++) {
      const v = t.stepTime(decodeStep(seqs, seqs * 500));
      expect(v).toBeGreaterThanOrEqual(prev);
      prev = v;
    }
  });

  it('selects by catalog entry aliases and requires a choice when the file has several', () => {
    const byAlias = createTableTiming(file, { gpu: { name: 'GPU-One', aliases: ['G1'] }, model: 'm1', tp: 2 });
    expect(ms(byAlias.stepTime(freshPrefill(100)))).toBeCloseTo(7, 9);
    expect(inputError(() => createTableTiming(file)).message).toMatch(/several/);
    const none = inputError(() => createTableTiming(file, { gpu: 'H100', model: 'M1', tp: 1 }));
    expect(none.message).toContain('no rows for H100/M1/tp1');
    expect(none.message).toContain('G1/M1/tp1');
  });

  it('needs both prefill and decode rows', () => {
    const f = table([HEADER, 'G,M,1,100,0,0,10']);
    expect(inputError(() => createTableTiming(f)).message).toMatch(/decode rows/);
  });
});

describe('table validation', () => {
  const bad = (lines: string[]): InputError => inputError(() => createTableTiming(table(lines)));

  it('names the line of a malformed row', () => {
    const e = bad([HEADER, 'G,M,1,100,0,0,10', 'G,M,1,abc,0,0,10']);
    expect(e.where).toBe('line 3');
    expect(e.message).toContain('prefill_tokens');
    expect(e.format()).toMatch(/t\d+\.csv: line 3: prefill_tokens must be/);
  });

  it('counts comment and blank lines', () => {
    const e = bad(['# comment', '', HEADER, 'G,M,1,100,0,0,10', '', 'G,M,1,0,1,100']);
    expect(e.where).toBe('line 6');
    expect(e.message).toMatch(/expected 7 fields, found 6/);
  });

  it('rejects non-positive times, mixed rows and empty rows', () => {
    expect(bad([HEADER, 'G,M,1,100,0,0,0']).message).toMatch(/step_ms must be a number > 0/);
    expect(bad([HEADER, 'G,M,1,100,2,0,5']).message).toMatch(/not both/);
    expect(bad([HEADER, 'G,M,1,0,0,0,5']).message).toMatch(/prefill_tokens > 0 or decode_seqs > 0/);
    expect(bad([HEADER, 'G,M,1,100,0,50,5']).message).toMatch(/decode_context must be 0/);
    expect(bad([HEADER, 'G,M,0,100,0,0,5']).message).toMatch(/tp must be >= 1/);
  });

  it('rejects duplicate points, citing both lines', () => {
    const e = bad([HEADER, 'G,M,1,100,0,0,10', 'G,M,1,100,0,0,11']);
    expect(e.where).toBe('line 3');
    expect(e.message).toContain('line 2');
  });

  it('rejects a missing column and an empty file', () => {
    const e = bad(['gpu,model,tp,prefill_tokens,decode_seqs,step_ms', 'G,M,1,100,0,10']);
    expect(e.message).toContain('missing column "decode_context"');
    expect(e.where).toBe('line 1');
    expect(bad(['# nothing here']).message).toMatch(/empty timing table/);
  });

  it('reports an unreadable file', () => {
    expect(inputError(() => createTableTiming(join(dir, 'missing.csv'))).message).toMatch(/cannot read/);
  });
});

describe('roofline tables', () => {
  const gpu = loadGpuCatalog().get('L40S');
  const model = loadModelCatalog().get('Qwen2.5-7B');
  const roofline = createRooflineTiming(gpu, model, 1);
  const file = table(
    timingTableCsv(roofline, {
      gpu: gpu.name,
      model: model.name,
      tp: 1,
      prefillTokens: [64, 128, 256, 512, 1024, 2048, 4096],
      decodeSeqs: [1, 16, 64, 256],
      contextPerSeq: [256, 2048, 8192],
    }).split('\n'),
  );

  it('round-trips: a table exported from the roofline reproduces it at the grid points', () => {
    const t = createTimingModel({ kind: 'table', gpu, model, tp: 1, table: file });
    for (const n of [64, 512, 4096]) {
      expect(t.stepTime(freshPrefill(n))).toBeCloseTo(roofline.stepTime(freshPrefill(n)), 6);
    }
    expect(t.stepTime(decodeStep(16, 16 * 2048))).toBeCloseTo(roofline.stepTime(decodeStep(16, 16 * 2048)), 6);
    // and stays near it between grid points
    const mid = decodeStep(32, 32 * 1000);
    expect(Math.abs(t.stepTime(mid) / roofline.stepTime(mid) - 1)).toBeLessThan(0.1);
  });

  it('loads the shipped example table by file name', () => {
    const t = createTimingModel({
      kind: 'table',
      gpu: loadGpuCatalog().get('A100'),
      model: loadModelCatalog().get('Llama-3-8B'),
      tp: 1,
      table: 'example-roofline-a100-llama-3.1-8b.csv',
    });
    expect(t.stepTime(decodeStep(8, 8000))).toBeGreaterThan(0);
    expect(t.stepTime(freshPrefill(1000))).toBeGreaterThan(t.stepTime(decodeStep(8, 8000)));
  });
});
