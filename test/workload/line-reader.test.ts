import { describe, expect, it } from 'vitest';
import { LineReader } from '../../src/workload/index.js';
import { inputError, tempDir } from './fixtures.js';

const tmp = tempDir();

function readAll(file: string, bufferSize?: number): string[] {
  const r = new LineReader(file, bufferSize);
  const out: string[] = [];
  for (let l = r.next(); l !== undefined; l = r.next()) out.push(l);
  return out;
}

describe('LineReader', () => {
  it('splits lines across chunk boundaries, strips CR, keeps a last line without newline', () => {
    const file = tmp.write('a.txt', 'alpha\r\nbeta\n\ngamma-delta-epsilon\nzeta');
    for (const size of [16, 17, 23, 1024]) {
      expect(readAll(file, size)).toEqual(['alpha', 'beta', '', 'gamma-delta-epsilon', 'zeta']);
    }
  });

  it('grows the buffer for a line longer than it and keeps multi-byte characters whole', () => {
    const long = 'é€'.repeat(500);
    const file = tmp.write('b.txt', `x\n${long}\ny\n`);
    expect(readAll(file, 16)).toEqual(['x', long, 'y']);
  });

  it('counts line numbers', () => {
    const r = new LineReader(tmp.write('c.txt', 'a\nb\n'), 16);
    r.next();
    r.next();
    expect(r.lineNumber).toBe(2);
    expect(r.next()).toBeUndefined();
  });

  it('reports a missing file as an InputError naming it', () => {
    const e = inputError(() => new LineReader(`${tmp.dir}/nope.txt`));
    expect(e.file).toBe(`${tmp.dir}/nope.txt`);
    expect(e.message).toMatch(/not found/);
  });
});
