import { describe, expect, it } from 'vitest';
import { Simulator } from '../../src/engine/index.js';
import { Instance, VLLM_DEFAULTS, type KvCache } from '../../src/serving/index.js';

function busyInstance() {
  const sim = new Simulator();
  const inst = new Instance({
    id: 'i0',
    sim,
    timing: { name: 'unit', stepTime: () => 1 },
    config: { ...VLLM_DEFAULTS, maxNumBatchedTokens: 64, maxNumSeqs: 4, blockSize: 4 },
    kvCapacityTokens: 96,
    maxModelLen: 1000,
    observer: { onFirstToken() {}, onComplete() {} },
  });
  for (let i = 0; i < 6; i++) inst.enqueue({ id: i, promptTokens: 20 + i, outputTokens: 9 + i, prefixHashes: [7, 8], hashBlockTokens: 4 });
  return { sim, inst };
}

describe('Instance.checkInvariants', () => {
  it('holds at every step of a run with preemptions and shared prefixes', () => {
    const { sim, inst } = busyInstance();
    const problems: string[] = [];
    for (let t = 0; t < 200; t += 0.5) sim.schedule(t, () => problems.push(inst.checkInvariants() ?? ''));
    sim.run();
    expect(inst.preemptions).toBeGreaterThan(0);
    expect(inst.completed).toBe(6);
    expect(problems.filter((p) => p !== '')).toEqual([]);
  });

  it('reports a block leaked from the pool', () => {
    const { sim, inst } = busyInstance();
    sim.run(2.5);
    expect(inst.checkInvariants()).toBeNull();
    (inst.kv as KvCache).allocate(1);
    expect(inst.checkInvariants()).toMatch(/hold .* blocks, pool says/);
  });

  it('reports a corrupted decode aggregate', () => {
    const { sim, inst } = busyInstance();
    sim.run(3.5);
    const decodes = (inst.scheduler as unknown as { decodes: { context: number; count: number } }).decodes;
    expect(decodes.count).toBeGreaterThan(0);
    decodes.context++;
    expect(inst.checkInvariants()).toMatch(/decode context/);
  });
});
