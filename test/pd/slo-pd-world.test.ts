/**
 * slo-pd end to end on a small PD world (1 ms per step + 1 ms per decoding sequence): in pull mode
 * it holds requests at the router while the decode instance has no TPOT headroom, so every
 * request's TPOT stays under the target; in push mode the same burst overruns it.
 */
import { describe, expect, it } from 'vitest';
import { createPdPolicy } from '../../src/routing/index.js';
import { endedOnce, pdWorld, request } from './pd-world.js';

// The world's step time as slo-pd's profile: prefill 1e5 tokens/s, decode 1 ms + 1 ms per sequence.
const profile = { GP: { prefillTokensPerS: 1e5 }, GD: { decodeBaseS: 0.001, decodePerSeqS: 0.001, decodePerKvTokenS: 0 } };
// 4.5 ms per token admits 3 decoding sequences (1 + 3 = 4 ms), not 4 (5 ms).
const options = { source: 'profile', profile, tpotS: 0.0045, ttftS: 100 };

function burst(mode: 'push' | 'pull') {
  const w = pdWorld({
    instances: [
      { id: 'P0', role: 'prefill' },
      { id: 'D0', role: 'decode' },
    ],
    policy: createPdPolicy('slo-pd', { ...options, mode }),
    mode,
  });
  const n = 8;
  w.run(Array.from({ length: n }, (_, i) => request(i, i * 0.0001, 100, 40)));
  expect(endedOnce(w.ended, n)).toBe(true);
  expect(w.violations).toEqual([]);
  const tpots = w.ended.map((e) => (e.record!.finished - e.record!.firstToken) / 39);
  return { w, maxTpot: Math.max(...tpots) };
}

describe('slo-pd in a simulated PD world', () => {
  it('pull: holds at the router while the decode side has no TPOT headroom; every TPOT under 4.5 ms', () => {
    const { w, maxTpot } = burst('pull');
    expect(maxTpot).toBeLessThanOrEqual(0.0045);
    expect(w.summary().metrics.router_queue_ms.p99).toBeGreaterThan(0);
  });

  it('push: the whole burst decodes at once and overruns the target', () => {
    const { maxTpot } = burst('push');
    expect(maxTpot).toBeGreaterThan(0.0045);
  });
});
