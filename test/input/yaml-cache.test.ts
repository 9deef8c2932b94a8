import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InputError } from '../../src/input-error.js';
import { cachedYamlData, writeYamlCache } from '../../src/yaml-cache.js';
import { parseYamlData, parseYamlText } from '../../src/yaml-input.js';

const dir = mkdtempSync(join(tmpdir(), 'routesim-yaml-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TEXT = ['gpus:', '  A:', '    memoryGB: 24', '    tags: [x, y]', '  B:', '    memoryGB: 80', ''].join('\n');

describe('build cache of parsed YAML', () => {
  it('returns the stored data for exactly the text it was built from, and misses on any change', () => {
    const cache = join(dir, 'exact');
    expect(writeYamlCache([{ text: TEXT, data: parseYamlData(TEXT, 'a.yaml') }], cache)).toBe(1);
    expect(cachedYamlData(TEXT, cache)).toEqual({ gpus: { A: { memoryGB: 24, tags: ['x', 'y'] }, B: { memoryGB: 80 } } });
    expect(cachedYamlData(TEXT.replace('80', '81'), cache)).toBeUndefined();
    expect(cachedYamlData(TEXT + ' ', cache)).toBeUndefined();
  });

  it('stores nothing for data that JSON would change (infinities, -0)', () => {
    const cache = join(dir, 'unsafe');
    const texts = ['a: .inf\n', 'a: -0\n', 'a: 1\n'].map((text) => ({ text, data: parseYamlData(text, 'u.yaml') }));
    expect(writeYamlCache(texts, cache)).toBe(1);
    expect(readdirSync(cache)).toHaveLength(1);
    expect(cachedYamlData('a: .inf\n', cache)).toBeUndefined();
  });

  it('rewrites the directory: entries of texts no longer shipped are gone', () => {
    const cache = join(dir, 'rewrite');
    writeYamlCache([{ text: 'a: 1\n', data: { a: 1 } }], cache);
    writeYamlCache([{ text: 'b: 2\n', data: { b: 2 } }], cache);
    expect(cachedYamlData('a: 1\n', cache)).toBeUndefined();
    expect(cachedYamlData('b: 2\n', cache)).toEqual({ b: 2 });
  });

  it('a damaged entry is a miss, not an error', () => {
    const cache = join(dir, 'damaged');
    writeYamlCache([{ text: 'a: 1\n', data: { a: 1 } }], cache);
    writeFileSync(join(cache, readdirSync(cache)[0]), '{"a": ');
    expect(cachedYamlData('a: 1\n', cache)).toBeUndefined();
  });

  it('input read through the cache names the same lines in its messages as a parsed one', () => {
    const cache = join(dir, 'lines');
    // A marker in the stored data shows the data came from the cache, not from a parse.
    writeYamlCache([{ text: TEXT, data: { gpus: { A: { memoryGB: 24, tags: ['x', 'y'] }, B: { memoryGB: -1 } } } }], cache);
    const viaCache = parseYamlText(TEXT, join(dir, 'cached.yaml'), cache);
    const parsed = parseYamlText(TEXT, join(dir, 'parsed.yaml'), join(dir, 'none'));
    expect((viaCache.data as { gpus: { B: { memoryGB: number } } }).gpus.B.memoryGB).toBe(-1);
    expect((parsed.data as { gpus: { B: { memoryGB: number } } }).gpus.B.memoryGB).toBe(80);
    expect(viaCache.where(['gpus', 'B', 'memoryGB'])).toBe('gpus.B.memoryGB (line 6)');
    expect(viaCache.where(['gpus', 'B', 'missing'])).toBe(parsed.where(['gpus', 'B', 'missing']));
    const positive = z.number().positive();
    let err: unknown;
    try {
      viaCache.check(positive, -1, ['gpus', 'B', 'memoryGB']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).format()).toBe(`${join(dir, 'cached.yaml')}: gpus.B.memoryGB (line 6): Too small: expected number to be >0`);
  });
});
