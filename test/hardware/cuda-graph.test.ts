import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cudaGraphMaxTokens, cudaGraphPaddedTokens } from '../../src/hardware/cuda-graph.js';

// vLLM's default list for max_num_seqs 128 is [1, 2, 4, 8, 16, ..., 248, 256].
describe('CUDA-graph capture sizes', () => {
  it('the largest captured size: min(2 x max_num_seqs, 512) on the default grid, or max_num_batched_tokens below it', () => {
    expect(cudaGraphMaxTokens(128, 2048)).toBe(256);
    expect(cudaGraphMaxTokens(256, 8192)).toBe(512);
    expect(cudaGraphMaxTokens(1024, 8192)).toBe(512);
    // 2 x 18 = 36 is not on the grid: the list ends at 32.
    expect(cudaGraphMaxTokens(18, 8192)).toBe(32);
    // 2 x 150 = 300: the grid gives 288, and max_num_batched_tokens 300 is a size of its own.
    expect(cudaGraphMaxTokens(150, 8192)).toBe(288);
    expect(cudaGraphMaxTokens(150, 300)).toBe(300);
    // max_num_batched_tokens below 2 x max_num_seqs caps the list and ends it.
    expect(cudaGraphMaxTokens(256, 300)).toBe(300);
    expect(cudaGraphMaxTokens(256, 200)).toBe(200);
    expect(cudaGraphMaxTokens(1, 8192)).toBe(2);
  });

  it('a step replays the smallest captured size that holds it; larger steps run as they are', () => {
    const max = cudaGraphMaxTokens(128, 2048);
    const cases: [number, number][] = [[1, 1], [2, 2], [3, 4], [4, 4], [5, 8], [11, 16], [27, 32], [34, 40], [67, 72], [248, 248], [249, 256], [256, 256], [257, 257], [461, 461]];
    for (const [tokens, padded] of cases) expect(cudaGraphPaddedTokens(tokens, max)).toBe(padded);
    // Above 256 the grid steps by 16; max_num_batched_tokens 300 is captured too.
    expect(cudaGraphPaddedTokens(270, cudaGraphMaxTokens(256, 8192))).toBe(272);
    expect(cudaGraphPaddedTokens(289, cudaGraphMaxTokens(150, 300))).toBe(300);
  });

  it('padding never shrinks a step, never passes the largest captured size, and is monotone', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: 700 }), fc.integer({ min: 1, max: 4096 }), (tokens, seqs, batched) => {
        const max = cudaGraphMaxTokens(seqs, batched);
        const p = cudaGraphPaddedTokens(tokens, max);
        expect(p).toBeGreaterThanOrEqual(tokens);
        if (tokens <= max) expect(p).toBeLessThanOrEqual(max);
        else expect(p).toBe(tokens);
        expect(cudaGraphPaddedTokens(tokens + 1, max)).toBeGreaterThanOrEqual(p);
      }),
    );
  });
});
