/**
 * Disaggregation with SGLang engines on a hand-computed timeline (step time and link as in
 * pd-world.ts: 1 ms + 0.01 ms per prefill token + 1 ms per decoding sequence; 100 prompt tokens
 * = 1 ms on the link, plus 1 ms latency).
 */
import { describe, expect, it } from 'vitest';
import { SGLANG_DEFAULTS, type EngineConfig } from '../../src/serving/index.js';
import { instanceOf } from '../invariants/world.js';
import { endedOnce, pdWorld, request } from './pd-world.js';

const SGLANG: Partial<EngineConfig> = {
  kind: 'sglang',
  blockSize: 1,
  sglang: { ...SGLANG_DEFAULTS, chunkedPrefillSize: 4096, maxRunningRequests: 8 },
};

describe('SGLang prefill and decode servers', () => {
  // SGLang bootstraps: the decode server preallocates before the prefill starts.
  // a at 0: D0 serves nothing, so 500 + min(512, 10) fits: reserved at once. Prefill 500 tokens
  //   (6 ms) -> 0.006; transfer 5 + 1 ms -> 0.012; first token 0.012; 9 decode steps of 2 ms ->
  //   0.030.
  // b at 0.0085: D0 serves a (in transfer): 1600 - 500 - 512 = 588 < 500 + 512, so b waits in
  //   the bootstrap queue, not on the prefill server, until a completes at 0.030. Then prefill
  //   -> 0.036, transfer -> 0.042, 2 decode steps -> 0.046.
  it('the decode server preallocates at bootstrap, keeping 512 tokens of decode room per request', () => {
    const w = pdWorld({
      instances: [
        { id: 'P0', role: 'prefill', config: SGLANG },
        { id: 'D0', role: 'decode', config: SGLANG, kvTokens: 1600 },
      ],
    });
    w.run([request(0, 0, 500, 10), request(1, 0.0085, 500, 3)]);
    expect(endedOnce(w.ended, 2)).toBe(true);
    const a = w.byId(0);
    const b = w.byId(1);
    expect(a.outcome!.firstToken).toBeCloseTo(0.012, 12);
    expect(a.outcome!.finished).toBeCloseTo(0.03, 12);
    expect(a.pd!.kvWait).toBeCloseTo(0, 12);
    expect(b.pd!.kvWait).toBeCloseTo(0.03 - 0.0085, 12);
    expect(b.pd!.prefillQueue).toBeCloseTo(0, 12);
    expect(b.pd!.prefillCompute).toBeCloseTo(0.006, 12);
    expect(b.pd!.transfer).toBeCloseTo(0.006, 12);
    expect(b.outcome!.firstToken).toBeCloseTo(0.042, 12);
    expect(b.outcome!.finished).toBeCloseTo(0.046, 12);
    expect(a.instance).toBe('D0');
    // Both servers hold nothing at the end (the prefill side freed its copy after each transfer).
    for (const id of ['P0', 'D0']) expect(instanceOf(w.endpoint(id)).kv.used).toBe(0);
    expect(w.violations).toEqual([]);
  });

  it('max_running_requests on the decode server caps its batch', () => {
    const cfg = { ...SGLANG, sglang: { ...SGLANG.sglang!, maxRunningRequests: 1 } };
    const w = pdWorld({
      instances: [
        { id: 'P0', role: 'prefill', config: SGLANG },
        { id: 'D0', role: 'decode', config: cfg },
      ],
    });
    let maxRunning = 0;
    for (let t = 0; t < 0.1; t += 0.0005) w.at(t, () => (maxRunning = Math.max(maxRunning, instanceOf(w.endpoint('D0')).running)));
    w.run([request(0, 0, 100, 5), request(1, 0, 100, 5), request(2, 0.001, 100, 5)]);
    expect(endedOnce(w.ended, 3)).toBe(true);
    expect(maxRunning).toBe(1);
    // The three decode one after another on D0.
    const [a, b, c] = [0, 1, 2].map((id) => w.byId(id).outcome!);
    expect(b.firstToken).toBeGreaterThanOrEqual(a.finished);
    expect(c.firstToken).toBeGreaterThanOrEqual(b.finished);
    expect(w.violations).toEqual([]);
  });
});
