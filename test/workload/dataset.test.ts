import { describe, expect, it } from 'vitest';
import { randomStream } from '../../src/engine/random.js';
import { keepsLengths } from '../../src/workload/length-filter.js';
import {
  DatasetSource,
  loadDefinition,
  parseDefinition,
  shippedDefinitionNames,
  shippedDefinitionPath,
  type WorkloadDefinition,
} from '../../src/workload/index.js';
import { inputError, tempDir } from './fixtures.js';

const tmp = tempDir();

const birdLike: WorkloadDefinition = {
  name: 'sql',
  description: 'test',
  source: { data: 'made up' },
  suffixTokens: { quantiles: [10, 20] },
  outputTokens: { quantiles: [5, 5] },
  prefixes: {
    hashBlockTokens: 16,
    groups: [
      { name: 'a', tokens: 100, weight: 1 },
      { name: 'b', tokens: 40, weight: 3, outputTokens: { quantiles: [50, 50] } },
    ],
  },
};

describe('DatasetSource with prefix groups', () => {
  const src = new DatasetSource(birdLike, randomStream(1, 'x'), 'bird');
  const rs = Array.from({ length: 4000 }, () => src.next());
  const a = rs.filter((r) => r.promptTokens >= 110);
  const b = rs.filter((r) => r.promptTokens < 110);

  it('prompt = prefix + suffix; per-group output table overrides', () => {
    expect(a.every((r) => r.promptTokens <= 120 && r.outputTokens === 5)).toBe(true);
    expect(b.every((r) => r.promptTokens >= 50 && r.promptTokens <= 60 && r.outputTokens === 50)).toBe(true);
    expect(b.length / rs.length).toBeGreaterThan(0.72);
    expect(b.length / rs.length).toBeLessThan(0.78);
  });

  it('prefix hashes: full blocks only, equal within a group, different across groups', () => {
    expect(a[0].prefixHashes.length).toBe(6); // floor(100 / 16)
    expect(b[0].prefixHashes.length).toBe(2); // floor(40 / 16)
    expect(a.every((r) => r.prefixHashes === a[0].prefixHashes)).toBe(true); // one shared array
    expect(b.every((r) => r.prefixHashes === b[0].prefixHashes)).toBe(true);
    const all = [...a[0].prefixHashes, ...b[0].prefixHashes];
    expect(new Set(all).size).toBe(all.length);
    expect(all.every((h) => Number.isSafeInteger(h) && h >= 0)).toBe(true);
    expect(a[0].hashBlockTokens).toBe(16);
  });

  it('hashes are deterministic per (definition, group, block)', () => {
    const again = new DatasetSource(birdLike, randomStream(99, 'y'), 'other');
    const seen = new Set(Array.from({ length: 50 }, () => again.next().prefixHashes[0]));
    expect(seen).toEqual(new Set([a[0].prefixHashes[0], b[0].prefixHashes[0]]));
  });

  it('caps cut prompts, outputs and the hashes beyond the cap', () => {
    const capped = new DatasetSource(birdLike, randomStream(1, 'x'), 'bird', { maxPromptTokens: 50, maxOutputTokens: 20 });
    for (let i = 0; i < 100; i++) {
      const r = capped.next();
      expect(r.promptTokens).toBeLessThanOrEqual(50);
      expect(r.outputTokens).toBeLessThanOrEqual(20);
      expect(r.prefixHashes.length).toBeLessThanOrEqual(3);
    }
  });
});

describe('DatasetSource with a length filter', () => {
  // Prompt and output each uniform on [1, 2000] (two-point quantile tables), independent.
  const uniform: WorkloadDefinition = {
    name: 'u',
    description: 'test',
    source: { data: 'made up' },
    promptTokens: { quantiles: [1, 2000] },
    outputTokens: { quantiles: [1, 2000] },
  };
  const benchmarkRule = { minPromptTokens: 4, minOutputTokens: 4, maxPromptTokens: 1024, maxTotalTokens: 2048 };

  it('drops draws outside the bounds and draws again: every request passes, none is cut', () => {
    const src = new DatasetSource(uniform, randomStream(1, 'f'), 'chat', { filter: benchmarkRule });
    const rs = Array.from({ length: 20000 }, () => src.next());
    expect(rs.every((r) => r.promptTokens >= 4 && r.outputTokens >= 4 && r.promptTokens <= 1024)).toBe(true);
    expect(rs.every((r) => r.promptTokens + r.outputTokens <= 2048)).toBe(true);
    // Kept region p <= 1024, o <= 2048 - p: prompt density ~ (2048 - p), so
    // E[p] = 1024 * (2/3) / (3/2) = 455 (a cut at 1024 would give 1024 - 1024^2 / 4000 = 762).
    const mean = rs.reduce((s, r) => s + r.promptTokens, 0) / rs.length;
    expect(mean).toBeGreaterThan(445);
    expect(mean).toBeLessThan(465);
    // A cut would pile the 49% of prompts over 1024 onto 1024 itself.
    expect(rs.filter((r) => r.promptTokens === 1024).length).toBeLessThan(rs.length * 0.01);
  });

  it('estimates the share it keeps: (2048 x 1024 - 1024^2 / 2) / 2000^2 = 0.393', () => {
    const share = new DatasetSource(uniform, randomStream(1, 'f'), 'chat', { filter: benchmarkRule }).keptShare();
    expect(share).toBeGreaterThan(0.385);
    expect(share).toBeLessThan(0.4);
    expect(new DatasetSource(uniform, randomStream(1, 'f'), 'chat').keptShare()).toBe(1);
    expect(new DatasetSource(uniform, randomStream(1, 'f'), 'chat', { filter: { minPromptTokens: 2001 } }).keptShare()).toBe(0);
  });

  it('bounds are inclusive, as in the benchmarks', () => {
    const f = { minPromptTokens: 4, minOutputTokens: 4, maxPromptTokens: 1024, maxTotalTokens: 2048 };
    expect(keepsLengths(f, 1024, 1024)).toBe(true);
    expect(keepsLengths(f, 4, 4)).toBe(true);
    expect(keepsLengths(f, 1025, 4)).toBe(false);
    expect(keepsLengths(f, 1024, 1025)).toBe(false);
    expect(keepsLengths(f, 3, 100)).toBe(false);
    expect(keepsLengths(f, 100, 3)).toBe(false);
    // Single-value tables on a bound are kept whole; one token past it, not at all.
    const at = (prompt: number, output: number): WorkloadDefinition => ({
      ...uniform,
      promptTokens: { quantiles: [prompt, prompt] },
      outputTokens: { quantiles: [output, output] },
    });
    const share = (d: WorkloadDefinition) => new DatasetSource(d, randomStream(1, 'f'), 'chat', { filter: f }).keptShare();
    expect(share(at(1024, 1024))).toBe(1);
    expect(share(at(4, 4))).toBe(1);
    expect(share(at(1025, 100))).toBe(0);
    expect(share(at(1024, 1025))).toBe(0);
    expect(share(at(3, 100))).toBe(0);
    expect(new DatasetSource(at(1024, 1024), randomStream(1, 'f'), 'chat', { filter: f }).next()).toMatchObject({
      promptTokens: 1024,
      outputTokens: 1024,
    });
  });

  it('filters the drawn lengths, then cuts', () => {
    // Prompt 1000; output uniform on [1, 5000]; kept when output <= 1000, then cut to 500: about
    // half the outputs are 500 (filtering the cut lengths would keep every draw: 90% at 500).
    const d: WorkloadDefinition = { ...uniform, promptTokens: { quantiles: [1000, 1000] }, outputTokens: { quantiles: [1, 5000] } };
    const src = new DatasetSource(d, randomStream(3, 'f'), 'chat', { maxOutputTokens: 500, filter: { maxTotalTokens: 2000 } });
    const rs = Array.from({ length: 4000 }, () => src.next());
    const atCap = rs.filter((r) => r.outputTokens === 500).length / rs.length;
    expect(atCap).toBeGreaterThan(0.45);
    expect(atCap).toBeLessThan(0.55);
    expect(rs.every((r) => r.outputTokens <= 500)).toBe(true);
  });

  it('draws the group again with the lengths: dropping more of one group shifts the mix', () => {
    // Group a (weight 1) keeps prompts 110-115 of 110-120, about 0.55 (the u-interval below 115.5 of
    // 110..120); group b (weight 3) keeps all. a's share: 0.55 / (0.55 + 3) = 0.155, not its 0.25.
    const src = new DatasetSource(birdLike, randomStream(5, 'f'), 'bird', { filter: { maxPromptTokens: 115 } });
    const rs = Array.from({ length: 8000 }, () => src.next());
    const a = rs.filter((r) => r.promptTokens >= 100).length / rs.length;
    expect(a).toBeGreaterThan(0.13);
    expect(a).toBeLessThan(0.18);
    expect(src.keptShare()).toBeCloseTo(0.25 * 0.55 + 0.75, 10);
  });

  it('takes the same draws as before filters existed when it has none', () => {
    const src = new DatasetSource(birdLike, randomStream(1, 'x'), 'bird');
    expect(Array.from({ length: 6 }, () => [src.next().promptTokens])).toEqual([[56], [59], [53], [52], [57], [50]]);
  });

  it('weights the share by prefix group', () => {
    // Group a (weight 1): prompts 110-120, all dropped; group b (weight 3): prompts 50-60, all kept.
    const share = new DatasetSource(birdLike, randomStream(1, 'f'), 'bird', { filter: { maxPromptTokens: 100 } }).keptShare();
    expect(share).toBeCloseTo(0.75, 10);
  });
});

describe('shipped definitions', () => {
  it('sharegpt and bird load and validate', () => {
    expect(shippedDefinitionNames()).toEqual(expect.arrayContaining(['bird', 'sharegpt']));
    const share = loadDefinition(shippedDefinitionPath('sharegpt')!);
    expect(share.promptTokens!.quantiles.length).toBeGreaterThanOrEqual(101);
    const bird = loadDefinition(shippedDefinitionPath('bird')!);
    expect(bird.prefixes!.groups.length).toBe(11);
    expect(bird.prefixes!.hashBlockTokens).toBe(16);
    expect(bird.prefixes!.groups.find((g) => g.name === 'european_football_2')!.tokens).toBe(2311);
    const total = bird.prefixes!.groups.reduce((s, g) => s + g.weight, 0);
    expect(total).toBeCloseTo(1, 9);
  });

  it('BIRD requests of one database share their schema hashes; other databases differ', () => {
    const src = new DatasetSource(loadDefinition(shippedDefinitionPath('bird')!), randomStream(5, 'b'), 'bird');
    const byFirst = new Map<number, readonly number[]>();
    for (let i = 0; i < 2000; i++) {
      const r = src.next();
      const prev = byFirst.get(r.prefixHashes[0]);
      if (prev) expect(r.prefixHashes).toBe(prev);
      else byFirst.set(r.prefixHashes[0], r.prefixHashes);
    }
    expect(byFirst.size).toBe(11);
  });
});

describe('definition validation', () => {
  it('names the file and the field', () => {
    const file = tmp.write('d1.yaml', 'name: x\ndescription: y\nsource: {data: z}\npromptTokens: {quantiles: [1, 5, 3]}\noutputTokens: {quantiles: [1, 2]}\n');
    expect(inputError(() => loadDefinition(file))).toMatchObject({ file, where: 'promptTokens.quantiles[2]' });
    const e2 = inputError(() => parseDefinition({ name: 'x', description: '', source: { data: '' }, outputTokens: { quantiles: [1, 2] } }, 'f'));
    expect(e2).toMatchObject({ where: 'promptTokens', message: expect.stringMatching(/required/) });
    const e3 = inputError(() =>
      parseDefinition({ ...birdLike, prefixes: { ...birdLike.prefixes, extra: 1 } }, 'f'),
    );
    expect(e3).toMatchObject({ where: 'prefixes', message: 'unknown key "extra"' });
    const bad = tmp.write('d2.yaml', 'name: [unclosed\n');
    expect(inputError(() => loadDefinition(bad)).message).toMatch(/invalid YAML/);
  });
});
