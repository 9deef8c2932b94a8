import { describe, expect, it } from 'vitest';
import { Simulator } from '../../src/engine/index.js';
import type { BatchShape, TimingModel } from '../../src/hardware/types.js';
import { Instance, VLLM_DEFAULTS, type EngineConfig, type Sequence } from '../../src/serving/index.js';

/** Every step takes one second, so step numbers and times coincide. */
const unitSteps: TimingModel & { shapes: BatchShape[] } = {
  name: 'unit',
  shapes: [],
  stepTime(shape) {
    this.shapes.push({ ...shape });
    return 1;
  },
};

function setup(config: Partial<EngineConfig>, kvTokens = 1_000_000) {
  const sim = new Simulator();
  const done: Sequence[] = [];
  const timing = { ...unitSteps, shapes: [] as BatchShape[] };
  const inst = new Instance({
    id: 'i0',
    sim,
    timing,
    config: { ...VLLM_DEFAULTS, enablePrefixCaching: false, ...config },
    kvCapacityTokens: kvTokens,
    maxModelLen: 100_000,
    observer: { onFirstToken() {}, onComplete: (s) => done.push(s) },
  });
  let id = 0;
  const add = (prompt: number, output: number, prefixHashes: number[] = [], hashBlockTokens = 16) =>
    inst.enqueue({ id: id++, promptTokens: prompt, outputTokens: output, prefixHashes, hashBlockTokens });
  return { sim, inst, done, add, timing };
}

describe('Instance scheduling', () => {
  it('prefills in one step, then decodes one token per step', () => {
    const { sim, add, inst } = setup({});
    const s = add(100, 5);
    sim.run();
    expect(s.firstTokenAt).toBe(1);
    expect(s.finishedAt).toBe(5);
    expect(inst.tokensGenerated).toBe(5);
    expect(inst.kv.used).toBe(0);
  });

  it('splits a long prompt into chunks of the token budget', () => {
    const { sim, add, timing } = setup({ maxNumBatchedTokens: 64, maxNumSeqs: 8 });
    const s = add(150, 1);
    sim.run();
    expect(timing.shapes.map((x) => x.prefillTokens)).toEqual([64, 64, 22]);
    expect(s.firstTokenAt).toBe(3);
    expect(s.finishedAt).toBe(3);
  });

  it('shares the budget between decodes and a new prefill chunk', () => {
    const { sim, add, timing } = setup({ maxNumBatchedTokens: 64, maxNumSeqs: 8 });
    add(10, 4);
    sim.run(0); // admit the first request alone
    add(100, 1);
    sim.run();
    // Step 1 prefills the first alone; step 2 decodes it and fills the other 63 tokens of budget.
    expect(timing.shapes[0].prefillTokens).toBe(10);
    expect(timing.shapes[1]).toMatchObject({ decodeSeqs: 1, decodeContextTokens: 11, prefillTokens: 63 });
    expect(timing.shapes[2]).toMatchObject({ decodeSeqs: 1, decodeContextTokens: 12, prefillTokens: 37 });
  });

  it('caps the running batch at max_num_seqs', () => {
    const { sim, add } = setup({ maxNumSeqs: 2 });
    const a = add(10, 3);
    const b = add(10, 3);
    const c = add(10, 3);
    sim.run();
    expect([a.finishedAt, b.finishedAt]).toEqual([3, 3]);
    expect(c.firstScheduledAt).toBe(3);
    expect(c.finishedAt).toBe(6);
  });

  it('preempts the newest sequence by recompute when KV runs out', () => {
    // 4 blocks of 4 tokens. A and B each hold one block after prefill and grow by one block every 4 tokens.
    const { sim, add, inst } = setup({ blockSize: 4 }, 16);
    const a = add(4, 10);
    const b = add(4, 10);
    let maxUsed = 0;
    const probe = () => {
      maxUsed = Math.max(maxUsed, inst.kv.used);
      if (sim.pending > 0) sim.after(0.5, probe);
    };
    sim.after(0.5, probe);
    sim.run();
    expect(a.finishedAt).toBe(10);
    expect(a.preemptions).toBe(0);
    // B is preempted at the start of step 6 with 5 tokens generated, recomputes 9 tokens at step 11.
    expect(b.preemptions).toBe(1);
    expect(b.firstTokenAt).toBe(1);
    expect(b.finishedAt).toBe(15);
    expect(maxUsed).toBeLessThanOrEqual(4);
    expect(inst.kv.used).toBe(0);
    // Recompute redoes B's KV (4 prompt + 5 generated tokens) but emits no token twice.
    expect(inst.tokensGenerated).toBe(20);
    expect(inst.promptTokensComputed).toBe(4 + 4 + 9);
  });

  it('reuses cached prefix blocks and skips their prefill', () => {
    const { sim, add, timing } = setup({ enablePrefixCaching: true, blockSize: 16 });
    const first = add(100, 1, [11, 12, 13], 16);
    sim.run();
    const second = add(100, 1, [11, 12, 13], 16);
    sim.run();
    expect(first.cachedTokens).toBe(0);
    expect(second.cachedTokens).toBe(48);
    expect(timing.shapes.map((s) => s.prefillTokens)).toEqual([100, 52]);
  });
});

describe('shared prefix blocks in the step shape', () => {
  it('counts repeat reads of blocks that several running sequences reference, and no more once one finishes', () => {
    const { sim, add, timing } = setup({ enablePrefixCaching: true, blockSize: 16 });
    const first = add(100, 6, [11, 12, 13], 16);
    sim.after(1.5, () => add(100, 2, [11, 12, 13], 16)); // arrives once the first has published its 3 full blocks
    sim.run();
    expect(first.finishedAt).toBe(6);
    const both = timing.shapes.filter((s) => s.decodeSeqs + s.prefillSeqs === 2);
    expect(both.length).toBeGreaterThan(0);
    // 3 blocks of 16 tokens referenced twice: 48 repeat tokens over 48 distinct ones.
    for (const s of both) expect([s.sharedKvTokens, s.sharedKvDistinctTokens]).toEqual([48, 48]);
    for (const s of timing.shapes.filter((x) => x.decodeSeqs + x.prefillSeqs === 1)) expect(s.sharedKvTokens).toBe(0);
  });
});

describe('prefix cache entries of another block size', () => {
  it('do not match: the same hash over 32 tokens is not the same content as over 16', () => {
    const { sim, add } = setup({ enablePrefixCaching: true, blockSize: 16 });
    add(100, 1, [7, 8], 32); // publishes hashes 7 and 8 as 2-block entries
    sim.run();
    const other = add(100, 1, [7, 8], 16); // asks for 1-block entries under the same hashes
    sim.run();
    expect(other.cachedTokens).toBe(0);
    expect(other.finishedAt).toBeGreaterThan(0);
  });
});
