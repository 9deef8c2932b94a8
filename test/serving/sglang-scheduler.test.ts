/**
 * SGLang's scheduler on hand-computed timelines. Every step takes one second, so step numbers
 * and times coincide.
 */
import { describe, expect, it } from 'vitest';
import { Simulator } from '../../src/engine/index.js';
import type { BatchShape } from '../../src/hardware/types.js';
import { Instance, SGLANG_DEFAULTS, VLLM_DEFAULTS, type SglangConfig, type SglangScheduler, type Sequence } from '../../src/serving/index.js';

function setup(sglang: Partial<SglangConfig>, kvTokens = 1_000_000, page = 1) {
  const sim = new Simulator();
  const shapes: BatchShape[] = [];
  const problems: string[] = [];
  const inst = new Instance({
    id: 's0',
    sim,
    timing: {
      name: 'unit',
      stepTime(shape) {
        shapes.push({ ...shape });
        return 1;
      },
    },
    config: { ...VLLM_DEFAULTS, kind: 'sglang', blockSize: page, sglang: { ...SGLANG_DEFAULTS, chunkedPrefillSize: 8192, ...sglang } },
    kvCapacityTokens: kvTokens,
    maxModelLen: 100_000,
    observer: { onFirstToken() {}, onComplete() {} },
  });
  // The invariants after every event.
  const schedule = sim.schedule.bind(sim);
  sim.schedule = (at, handler, payload) =>
    schedule(
      at,
      (p: unknown) => {
        handler(p);
        const problem = inst.checkInvariants();
        if (problem) problems.push(`t=${sim.now}: ${problem}`);
      },
      payload,
    );
  let id = 0;
  const add = (prompt: number, output: number, prefixHashes: number[] = []): Sequence =>
    inst.enqueue({ id: id++, promptTokens: prompt, outputTokens: output, prefixHashes, hashBlockTokens: 16 });
  const at = (t: number, f: () => void) => schedule(t, f);
  return { sim, inst, shapes, problems, add, at, scheduler: inst.scheduler as SglangScheduler };
}

describe('SGLang scheduler', () => {
  it('runs prefill first: a new prompt takes whole steps while the running batch waits', () => {
    const w = setup({ chunkedPrefillSize: 64 });
    const a = w.add(10, 4);
    let b: Sequence | undefined;
    w.at(1.5, () => (b = w.add(100, 1)));
    w.sim.run();
    // 1: prefill a. 2: decode a. 3-4: b's prompt in chunks of 64 and 36, a does not decode.
    // 5-6: a's last two tokens.
    expect(w.shapes.map((s) => [s.prefillTokens, s.decodeSeqs])).toEqual([
      [10, 0],
      [0, 1],
      [64, 0],
      [36, 0],
      [0, 1],
      [0, 1],
    ]);
    expect(a.firstTokenAt).toBe(1);
    expect(a.finishedAt).toBe(6);
    expect(b!.firstTokenAt).toBe(4);
    expect(w.problems).toEqual([]);
  });

  it('with mixed chunk on, the running batch decodes inside the prefill steps', () => {
    const w = setup({ chunkedPrefillSize: 64, enableMixedChunk: true });
    const a = w.add(10, 4);
    w.at(1.5, () => w.add(100, 1));
    w.sim.run();
    // The chunk budget shrinks by the one decoding request: 63, then 37.
    expect(w.shapes.map((s) => [s.prefillTokens, s.decodeSeqs])).toEqual([
      [10, 0],
      [0, 1],
      [63, 1],
      [37, 1],
    ]);
    expect(a.finishedAt).toBe(4);
    expect(w.problems).toEqual([]);
  });

  it('retracts when decode memory runs out: fewest output tokens first; the ratio goes up', () => {
    // 60 tokens of KV, ratio 0.007. a alone at 0 (10 + 30 + 1 = 41 < 60). b at 0.5 is admitted at
    // 1 against 50 free less 0.007 × 29 for a. Both decode from 2; 20 steps fill the pool (20 +
    // 2 × 20 = 60), so at 22 the step finds no room and retracts one. Equal outputs (21) and
    // prompts: the later request goes. New ratio (21 + 20) / 30 > 1, clipped to 1.
    const w = setup({ scheduleConservativeness: 0.01 }, 60);
    const a = w.add(10, 30);
    let b: Sequence | undefined;
    let ratioAfter = 0;
    w.at(0.5, () => (b = w.add(10, 30)));
    w.at(22.5, () => (ratioAfter = w.scheduler.ratio));
    w.sim.run();
    expect(b!.preemptions).toBe(1);
    expect(a.preemptions).toBe(0);
    expect(w.inst.preemptions).toBe(1);
    expect(ratioAfter).toBe(1);
    // a: decodes 1..29 from t=2 with the retraction at 22 costing nothing: done at 31. b waits
    // (prompt 10 + 21 generated = 31, plus 9 more and a page do not fit beside a), then
    // recomputes 31 tokens at 31-32 and decodes its last 8 tokens: done at 40.
    expect(a.finishedAt).toBe(31);
    expect(b!.firstTokenAt).toBe(2);
    expect(b!.finishedAt).toBe(40);
    expect(w.inst.promptTokensComputed).toBe(10 + 10 + 31);
    expect(w.shapes[31]).toMatchObject({ prefillTokens: 31, decodeSeqs: 0 });
    expect(w.inst.kv.used).toBe(0);
    expect(w.problems).toEqual([]);
  });

  it('reuses a cached prompt prefix from the radix tree and keeps it after completion', () => {
    const w = setup({});
    const a = w.add(40, 2, [1, 2]);
    w.sim.run();
    const b = w.add(40, 2, [1, 2]);
    w.sim.run();
    // b matches both 16-token blocks (32 tokens) and computes the last 8.
    expect(b.cachedTokens).toBe(32);
    expect(a.cachedTokens).toBe(0);
    expect(w.shapes.map((s) => s.prefillTokens)).toEqual([40, 0, 8, 0]);
    // The two blocks stay cached (evictable), nothing is held.
    expect(w.inst.kv.used).toBe(0);
    expect(w.inst.kv.available).toBe(1_000_000);
    expect(w.problems).toEqual([]);
  });

  it('a full batch (max_running_requests) admits nothing until a request finishes', () => {
    const w = setup({ maxRunningRequests: 1 });
    const a = w.add(10, 3);
    const b = w.add(10, 1);
    w.sim.run();
    // b waits for a's slot: a prefill at 1, decodes at 2 and 3; b prefills at 4.
    expect(a.finishedAt).toBe(3);
    expect(b.firstScheduledAt).toBe(3);
    expect(b.finishedAt).toBe(4);
    expect(w.problems).toEqual([]);
  });

  it('lpm admits the request with the longest cached prefix first; fcfs the oldest', () => {
    for (const policy of ['fcfs', 'lpm'] as const) {
      const w = setup({ schedulePolicy: policy, maxRunningRequests: 1 });
      // Warm the tree with blocks 1, 2 (32 tokens), then queue a (nothing cached) before b (both blocks cached).
      w.add(40, 1, [1, 2]);
      w.sim.run();
      const a = w.add(40, 1, [7, 8]);
      const b = w.add(40, 1, [1, 2]);
      w.sim.run();
      if (policy === 'lpm') expect(b.firstScheduledAt).toBeLessThan(a.firstScheduledAt);
      else expect(a.firstScheduledAt).toBeLessThan(b.firstScheduledAt);
      expect(b.cachedTokens).toBe(32);
      expect(w.problems).toEqual([]);
    }
  });
});
