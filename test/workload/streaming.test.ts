import { openSync, closeSync, writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MooncakeTraceReader, VidurTraceReader } from '../../src/workload/index.js';
import { tempDir } from './fixtures.js';

const tmp = tempDir();
const LINES = 200_000;

describe('streaming', () => {
  it('reads a 200k-line trace through a 4 KiB buffer, never holding the file', () => {
    const file = `${tmp.dir}/big.jsonl`;
    const fd = openSync(file, 'w');
    let chunk = '';
    for (let i = 0; i < LINES; i++) {
      chunk += `{"timestamp": ${i * 10}, "input_length": ${600 + (i % 1000)}, "output_length": ${1 + (i % 50)}, "hash_ids": [${i % 7}, ${i}]}\n`;
      if (chunk.length > 1 << 20) {
        writeSync(fd, chunk);
        chunk = '';
      }
    }
    writeSync(fd, chunk);
    closeSync(fd);
    const reader = new MooncakeTraceReader(file, { bufferSize: 4096 });
    // The reader's only storage is its buffer: it must still be the 4 KiB one (lines are short).
    let n = 0;
    let sumOut = 0;
    let last = -1;
    let ordered = true;
    for (let r = reader.next(); r !== undefined; r = reader.next()) {
      if (r.arrival < last) ordered = false;
      last = r.arrival;
      sumOut += r.outputTokens;
      n++;
    }
    expect(n).toBe(LINES);
    expect(ordered).toBe(true);
    expect(last).toBe(((LINES - 1) * 10) / 1000);
    expect(sumOut).toBe((LINES / 50) * ((50 * 51) / 2));
    expect(((reader as unknown as { lines: { buffer: Buffer } }).lines.buffer).length).toBe(4096);
  });

  it('reads a 200k-row CSV with a tiny buffer', () => {
    const file = `${tmp.dir}/big.csv`;
    const rows = ['arrived_at,num_prefill_tokens,num_decode_tokens'];
    for (let i = 0; i < LINES; i++) rows.push(`${i / 100},${1 + (i % 4000)},${1 + (i % 300)}`);
    tmp.write('big.csv', rows.join('\n') + '\n');
    const reader = new VidurTraceReader(file, { bufferSize: 64 });
    let n = 0;
    let prompt = 0;
    for (let r = reader.next(); r !== undefined; r = reader.next()) {
      prompt += r.promptTokens;
      n++;
    }
    expect(n).toBe(LINES);
    expect(prompt).toBe((LINES / 4000) * ((4000 * 4001) / 2));
  });
});
