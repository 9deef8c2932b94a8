import { describe, expect, it } from 'vitest';
import {
  AibrixTraceReader,
  AzureTraceReader,
  MooncakeTraceReader,
  VidurTraceReader,
} from '../../src/workload/index.js';
import { drain, inputError, tempDir } from './fixtures.js';

const tmp = tempDir();

describe('Mooncake reader', () => {
  it('reads ms timestamps, lengths and full-block hash ids', () => {
    const file = tmp.write(
      'mc.jsonl',
      [
        '{"timestamp": 0, "input_length": 1100, "output_length": 5, "hash_ids": [0, 1, 2]}',
        '',
        '{"timestamp": 1500, "input_length": 1024, "output_length": 0, "hash_ids": [0, 1]}',
        '{"timestamp": 1500, "input_length": 100, "output_length": 7}',
      ].join('\n'),
    );
    const rs = drain(new MooncakeTraceReader(file, { workloadClass: 'mc', bufferSize: 32 }));
    expect(rs.map((r) => [r.arrival, r.promptTokens, r.outputTokens, [...r.prefixHashes]])).toEqual([
      [0, 1100, 5, [0, 1]], // the partial third block is not kept
      [1.5, 1024, 1, [0, 1]], // zero output clamped to 1
      [1.5, 100, 7, []],
    ]);
    expect(rs.every((r) => r.hashBlockTokens === 512 && r.workloadClass === 'mc' && r.id === -1)).toBe(true);
  });

  it('rejects bad lines naming the line', () => {
    const bad = (name: string, lines: string[]) => inputError(() => drain(new MooncakeTraceReader(tmp.write(name, lines.join('\n')))));
    const ok = '{"timestamp": 0, "input_length": 10, "output_length": 5}';
    expect(bad('m1', [ok, '{"timestamp": 1, "input_length": "x", "output_length": 5}'])).toMatchObject({
      where: 'line 2',
      message: expect.stringMatching(/input_length/),
    });
    expect(bad('m2', [ok, '{"timestamp": 1, "input_length": -3, "output_length": 5}']).where).toBe('line 2');
    expect(bad('m3', [ok, '{"timestamp": 1, "output_length": 5}']).message).toBe('missing input_length');
    expect(bad('m4', [ok, '{not json']).message).toMatch(/invalid JSON/);
    expect(bad('m5', ['{"timestamp": 9, "input_length": 10, "output_length": 5}', ok]).message).toMatch(/non-decreasing/);
    expect(bad('m6', ['{"timestamp": 0, "input_length": 1024, "output_length": 5, "hash_ids": [1, -1]}']).message).toMatch(
      /hash_ids\[1\]/,
    );
    // Past the prompt's full blocks too (100 tokens: no full 512-token block), and at 2^32.
    expect(bad('m8', ['{"timestamp": 0, "input_length": 100, "output_length": 5, "hash_ids": [1.5]}']).message).toMatch(/hash_ids\[0\] must be an integer in \[0, 2\^32\), got 1.5/);
    expect(bad('m9', ['{"timestamp": 0, "input_length": 1024, "output_length": 5, "hash_ids": [4294967296]}']).message).toMatch(/hash_ids\[0\]/);
    // 1e20 ms would leave no resolution for the steps; epoch milliseconds are fine.
    expect(bad('m10', ['{"timestamp": 1e20, "input_length": 10, "output_length": 5}']).message).toMatch(/timestamp is 1\.00e\+17 s, beyond the 1e\+11 s/);
    const empty = bad('m7', ['', '']);
    expect(empty.message).toBe('trace has no requests');
    expect(empty.file).toMatch(/m7$/);
  });
});

describe('Azure reader', () => {
  it('makes 100-ns timestamps relative to the first row', () => {
    const file = tmp.write(
      'az.csv',
      [
        'TIMESTAMP,ContextTokens,GeneratedTokens',
        '2023-11-16 18:15:46.6805900,374,44',
        '2023-11-16 18:15:50.9951690,396,109',
        '2023-11-16 18:16:00.0000001,10,0',
      ].join('\n') + '\n',
    );
    const rs = drain(new AzureTraceReader(file, { bufferSize: 20 }));
    expect(rs.map((r) => [r.promptTokens, r.outputTokens])).toEqual([
      [374, 44],
      [396, 109],
      [10, 1],
    ]);
    expect(rs[0].arrival).toBe(0);
    expect(rs[1].arrival).toBeCloseTo(4.314579, 9);
    expect(rs[2].arrival).toBeCloseTo(13.3194101, 9);
  });

  it('names missing columns and bad cells', () => {
    const e = inputError(() => new AzureTraceReader(tmp.write('az1.csv', 'TIMESTAMP,Context\n')));
    expect(e.message).toMatch(/missing columns ContextTokens, GeneratedTokens/);
    expect(e.where).toBe('line 1');
    const rows = (body: string) => tmp.write('az2.csv', `TIMESTAMP,ContextTokens,GeneratedTokens\n${body}`);
    expect(inputError(() => drain(new AzureTraceReader(rows('2023-11-16 18:15:46.68,12,x\n')))).where).toBe('line 2');
    expect(inputError(() => drain(new AzureTraceReader(rows('yesterday,12,3\n')))).message).toMatch(/TIMESTAMP/);
    expect(inputError(() => drain(new AzureTraceReader(rows('')))).message).toBe('trace has no requests');
    expect(inputError(() => new AzureTraceReader(tmp.write('az3.csv', ''))).message).toMatch(/empty/);
  });
});

describe('Vidur reader', () => {
  it('reads arrived_at seconds', () => {
    const file = tmp.write('v.csv', 'arrived_at,num_prefill_tokens,num_decode_tokens\n0.0,374,44\n4.314579,396,109\n');
    const r = new VidurTraceReader(file);
    expect(r.hasTimestamps).toBe(true);
    expect(drain(r).map((x) => [x.arrival, x.promptTokens, x.outputTokens])).toEqual([
      [0, 374, 44],
      [4.314579, 396, 109],
    ]);
  });

  it('accepts length-only CSVs (Sarathi stats) with extra columns', () => {
    const file = tmp.write('s.csv', 'num_prefill_tokens,num_decode_tokens,num_total_tokens,pd_ratio\n74,918,992,0.08\n290,905,1195,0.32\n');
    const r = new VidurTraceReader(file);
    expect(r.hasTimestamps).toBe(false);
    expect(drain(r).map((x) => [x.arrival, x.promptTokens, x.outputTokens])).toEqual([
      [0, 74, 918],
      [0, 290, 905],
    ]);
  });

  it('errors', () => {
    expect(inputError(() => new VidurTraceReader(tmp.write('v1.csv', 'arrived_at,num_prefill_tokens\n'))).message).toMatch(
      /missing column num_decode_tokens/,
    );
    const f = tmp.write('v2.csv', 'num_prefill_tokens,num_decode_tokens\n1,2\n3,-4\n');
    expect(inputError(() => drain(new VidurTraceReader(f)))).toMatchObject({ where: 'line 3' });
    const g = tmp.write('v3.csv', 'num_prefill_tokens,num_decode_tokens\n1,2\n3,\n');
    expect(inputError(() => drain(new VidurTraceReader(g))).message).toMatch(/num_decode_tokens/);
  });
});

describe('AIBrix reader', () => {
  it('reads current, legacy and hybrid keys; several requests per instant', () => {
    const file = tmp.write(
      'ai.jsonl',
      [
        '{"timestamp": 21, "requests": [{"Prompt Length": 909, "Output Length": 22, "prompt": "a\\nb"}]}',
        '{"timestamp": 500, "requests": [{"prompt": "x", "prompt_length": 5, "output_length": 6, "session_id": 3},' +
          ' {"prompt": "y", "prompt_length": 7, "output_length": null}]}',
        '{"Timestamp": 900, "Requests": [{"Prompt": "z", "Prompt Length": 8, "Output Length": 0}]}',
        '{"timestamp": 950, "requests": []}',
      ].join('\n'),
    );
    const rs = drain(new AibrixTraceReader(file, { defaultOutputTokens: 64, bufferSize: 16 }));
    expect(rs.map((r) => [r.arrival, r.promptTokens, r.outputTokens, r.sessionId])).toEqual([
      [0.021, 909, 22, undefined],
      [0.5, 5, 6, '3'],
      [0.5, 7, 64, undefined],
      [0.9, 8, 1, undefined],
    ]);
  });

  it('errors name the line and field', () => {
    const f = tmp.write('ai1.jsonl', '{"timestamp": 0, "requests": [{"prompt_length": 5, "output_length": null}]}\n');
    expect(inputError(() => drain(new AibrixTraceReader(f))).message).toMatch(/defaultOutputTokens/);
    const g = tmp.write('ai2.jsonl', '{"timestamp": 0, "requests": [{"prompt_length": 5, "output_length": 1}, {"output_length": 2}]}\n');
    expect(inputError(() => drain(new AibrixTraceReader(g)))).toMatchObject({
      where: 'line 1',
      message: 'missing requests[1].prompt_length',
    });
    const h = tmp.write('ai3.jsonl', '{"timestamp": 0}\n');
    expect(inputError(() => drain(new AibrixTraceReader(h))).message).toBe('missing requests');
    const k = tmp.write('ai4.jsonl', '{"timestamp": 0, "requests": []}\n');
    expect(inputError(() => drain(new AibrixTraceReader(k))).message).toBe('trace has no requests');
  });
});
