import { describe, expect, it } from 'vitest';
import { alignBlockHashes, openWorkload, parseWorkloadConfig, PromptPoolSource } from '../../src/workload/index.js';

const spec = { prefixes: 2, questions: 3, prefixTokens: 40, questionTokens: 30, outputTokens: 7 };

describe('prompt pool', () => {
  it('hashes full blocks: the prefix blocks are shared within a prefix, the rest are the prompt own', () => {
    // 70 tokens at 16 per block: 4 full blocks, the first floor(40 / 16) = 2 inside the prefix.
    const pool = new PromptPoolSource({ ...spec, order: 'cyclic', shuffle: false }, () => 0, 'c', 'k', 16);
    const reqs = Array.from({ length: 6 }, () => pool.next());
    expect(reqs.every((r) => r.promptTokens === 70 && r.outputTokens === 7 && r.hashBlockTokens === 16)).toBe(true);
    expect(reqs.every((r) => r.prefixHashes.length === 4)).toBe(true);
    // Unshuffled: prefix-major, prompts 0-2 share prefix 0, prompts 3-5 prefix 1.
    expect(reqs[1].prefixHashes.slice(0, 2)).toEqual(reqs[0].prefixHashes.slice(0, 2));
    expect(reqs[2].prefixHashes.slice(0, 2)).toEqual(reqs[0].prefixHashes.slice(0, 2));
    expect(reqs[1].prefixHashes[2]).not.toBe(reqs[0].prefixHashes[2]);
    expect(reqs[3].prefixHashes[0]).not.toBe(reqs[0].prefixHashes[0]);
    expect(new Set(reqs.map((r) => r.prefixHashes[3])).size).toBe(6);
  });

  it('cycles a once-shuffled order: request i uses prompt i mod S*Q', () => {
    let x = 0;
    const random = () => ((x = (x * 9301 + 49297) % 233280) / 233280);
    const pool = new PromptPoolSource({ ...spec, order: 'cyclic', shuffle: true }, random, 'c', 'k', 16);
    const last = (r: { prefixHashes: readonly number[] }) => r.prefixHashes[3];
    const first = Array.from({ length: 6 }, () => last(pool.next()));
    const second = Array.from({ length: 6 }, () => last(pool.next()));
    expect(new Set(first).size).toBe(6);
    expect(second).toEqual(first);
    const unshuffled = new PromptPoolSource({ ...spec, order: 'cyclic', shuffle: false }, () => 0, 'c', 'k', 16);
    expect(Array.from({ length: 6 }, () => last(unshuffled.next()))).not.toEqual(first);
  });

  it('random order draws each request from the pool', () => {
    const draws = [0.99, 0.01, 0.5];
    let i = 0;
    const pool = new PromptPoolSource({ ...spec, order: 'random', shuffle: true }, () => draws[i++], 'c', 'k', 16);
    const [a, b, c] = [pool.next(), pool.next(), pool.next()];
    // floor(0.99 x 6) = 5, floor(0.01 x 6) = 0, floor(0.5 x 6) = 3: prefixes 1, 0, 1.
    expect(a.prefixHashes[0]).toBe(c.prefixHashes[0]);
    expect(a.prefixHashes[0]).not.toBe(b.prefixHashes[0]);
  });

  it("hashes at the engine's block size unless the pool names one", () => {
    const raw = (pool: Record<string, unknown>) =>
      parseWorkloadConfig({ requests: 1, rate: 1, sources: [{ class: 'c', ratio: 1, pool: { ...spec, ...pool } }] });
    const at = (pool: Record<string, unknown>, blockTokens?: number) => openWorkload(raw(pool), { seed: 1, baseDir: '.', blockTokens }).next()!;
    expect(at({}, 32)).toMatchObject({ hashBlockTokens: 32, prefixHashes: expect.any(Array) });
    expect(at({}, 32).prefixHashes).toHaveLength(2);
    expect(at({}).hashBlockTokens).toBe(16);
    expect(at({ hashBlockTokens: 8 }, 32).prefixHashes).toHaveLength(8);
  });

  it('re-expresses block hashes at another block size', () => {
    const h = (tag: string, n: number) => Array.from({ length: n }, (_, i) => (tag === 'a' || i < 3 ? i + 1 : 100 + i));
    // Two prompts sharing 3 blocks of 16 (48 tokens), differing in the 4th.
    const a = alignBlockHashes(h('a', 4), 16, 32);
    const b = alignBlockHashes(h('b', 4), 16, 32);
    // At 32: block 0 ends in source block 1 (shared), block 1 ends in source block 3 (not).
    expect(a).toHaveLength(2);
    expect(a[0]).toBe(b[0]);
    expect(a[1]).not.toBe(b[1]);
    // 512 -> 16: one source block covers 32 engine blocks, equal across prompts, distinct from each other.
    const big = alignBlockHashes([7], 512, 16);
    expect(big).toHaveLength(32);
    expect(new Set(big).size).toBe(32);
    expect(alignBlockHashes([7, 9], 512, 16).slice(0, 32)).toEqual(big);
    // 48 tokens of source blocks at 32 per engine block: one full engine block.
    expect(alignBlockHashes([1, 2, 3], 16, 32)).toHaveLength(1);
  });
});
