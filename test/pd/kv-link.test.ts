/**
 * KvLink alone: latency, then processor sharing of the bandwidth. Every finish time below is
 * worked out by hand in the comment next to it (2 GB/s = 2e9 bytes/s throughout).
 */
import { describe, expect, it } from 'vitest';
import { KvLink } from '../../src/cluster/index.js';
import { Simulator } from '../../src/engine/index.js';

/** Runs sends at given times on one link; returns each transfer's finish time by name. */
function transfers(spec: { bandwidthGBs: number; latencyS: number }, sends: { name: string; at: number; bytes: number }[]) {
  const sim = new Simulator();
  const link = new KvLink(sim, spec);
  const done = new Map<string, number>();
  const order: string[] = [];
  const busyAt: { t: number; busy: boolean }[] = [];
  for (const s of sends) {
    sim.schedule(s.at, () =>
      link.send(
        s.bytes,
        (payload) => {
          const name = payload as string;
          expect(done.has(name)).toBe(false);
          done.set(name, sim.now);
          order.push(name);
          busyAt.push({ t: sim.now, busy: link.busy });
        },
        s.name,
      ),
    );
  }
  sim.run();
  return { done, order, link, busyAt, sim };
}

const LINK = { bandwidthGBs: 2, latencyS: 0.25 };
const NO_LATENCY = { bandwidthGBs: 2, latencyS: 0 };

describe('KvLink: one transfer', () => {
  it('takes latency + bytes / bandwidth', () => {
    // 1e9 bytes: 0.25 s latency + 1e9 / 2e9 = 0.75 s, sent at 0.1: done at 0.85.
    const { done, link } = transfers(LINK, [{ name: 'a', at: 0.1, bytes: 1e9 }]);
    expect(done.get('a')).toBeCloseTo(0.85, 12);
    expect(link.transfers).toBe(1);
    expect(link.bytes).toBe(1e9);
    expect(link.busy).toBe(false);
  });

  it('back-to-back transfers that do not overlap each take the full bandwidth', () => {
    // a: 0 -> 0.25 + 0.5 = 0.75. b sent at 1.0 on an idle link: 1.0 + 0.25 + 0.25 = 1.5.
    const { done } = transfers(LINK, [
      { name: 'a', at: 0, bytes: 1e9 },
      { name: 'b', at: 1, bytes: 0.5e9 },
    ]);
    expect(done.get('a')).toBeCloseTo(0.75, 12);
    expect(done.get('b')).toBeCloseTo(1.5, 12);
  });
});

describe('KvLink: overlapping transfers share the bandwidth equally', () => {
  it('two starting together', () => {
    // Both join at 0.25 and move 1e9 B/s each. a (1e9) is done at 1.25; b has 1e9 left and
    // then has 2e9 B/s alone: 1.25 + 0.5 = 1.75 (= 0.25 + 3e9 / 2e9: the link never idles).
    const { done, order } = transfers(LINK, [
      { name: 'a', at: 0, bytes: 1e9 },
      { name: 'b', at: 0, bytes: 2e9 },
    ]);
    expect(done.get('a')).toBeCloseTo(1.25, 12);
    expect(done.get('b')).toBeCloseTo(1.75, 12);
    expect(order).toEqual(['a', 'b']);
  });

  it('two of equal size finish together, at twice the time of one', () => {
    // 1e9 each at 1e9 B/s: 0.25 + 1 = 1.25 for both.
    const { done } = transfers(LINK, [
      { name: 'a', at: 0, bytes: 1e9 },
      { name: 'b', at: 0, bytes: 1e9 },
    ]);
    expect(done.get('a')).toBeCloseTo(1.25, 12);
    expect(done.get('b')).toBeCloseTo(1.25, 12);
  });

  it('one starting midway through another', () => {
    // a: 2e9 bytes sent at 0, joins at 0.25, alone until b joins at 0.75 + 0.25 = 1.0: moved
    // 1.5e9, 0.5e9 left. Shared from 1.0 at 1e9 B/s each: a is done at 1.5, b has moved 0.5e9 of
    // its 1e9; alone again: 0.5e9 / 2e9 = 0.25, done at 1.75.
    const { done } = transfers(LINK, [
      { name: 'a', at: 0, bytes: 2e9 },
      { name: 'b', at: 0.75, bytes: 1e9 },
    ]);
    expect(done.get('a')).toBeCloseTo(1.5, 12);
    expect(done.get('b')).toBeCloseTo(1.75, 12);
  });

  it('a transfer still paying its latency does not take bandwidth yet', () => {
    // a: 1e9 at 0 without competition would be done at 0.75. b sent at 0.6 joins at 0.85, after
    // a is done, so a is not slowed: 0.75; b: 0.85 + 0.5 = 1.35.
    const { done } = transfers(LINK, [
      { name: 'a', at: 0, bytes: 1e9 },
      { name: 'b', at: 0.6, bytes: 1e9 },
    ]);
    expect(done.get('a')).toBeCloseTo(0.75, 12);
    expect(done.get('b')).toBeCloseTo(1.35, 12);
  });

  it('three starting together', () => {
    // No latency. 1e9, 2e9, 3e9 at 2/3e9 B/s each: a is done when each has moved 1e9, at 1.5.
    // b (1e9 left) and c (2e9 left) at 1e9 B/s each: b done at 2.5; c (1e9 left) alone: 3.0.
    const { done, order } = transfers(NO_LATENCY, [
      { name: 'a', at: 0, bytes: 1e9 },
      { name: 'b', at: 0, bytes: 2e9 },
      { name: 'c', at: 0, bytes: 3e9 },
    ]);
    expect(done.get('a')).toBeCloseTo(1.5, 12);
    expect(done.get('b')).toBeCloseTo(2.5, 12);
    expect(done.get('c')).toBeCloseTo(3.0, 12);
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('three, two joining midway', () => {
    // No latency. a: 3e9 at 0, alone until 0.5: 2e9 left. b and c (1e9 each) join at 0.5: three
    // share at 2/3e9 B/s, b and c are done after 1.5 s, at 2.0; a has 1e9 left, alone: 2.5.
    const { done } = transfers(NO_LATENCY, [
      { name: 'a', at: 0, bytes: 3e9 },
      { name: 'b', at: 0.5, bytes: 1e9 },
      { name: 'c', at: 0.5, bytes: 1e9 },
    ]);
    expect(done.get('b')).toBeCloseTo(2.0, 12);
    expect(done.get('c')).toBeCloseTo(2.0, 12);
    expect(done.get('a')).toBeCloseTo(2.5, 12);
  });

  it('stays busy until the last transfer is done, then idles', () => {
    const { busyAt, link } = transfers(LINK, [
      { name: 'a', at: 0, bytes: 1e9 },
      { name: 'b', at: 0, bytes: 2e9 },
    ]);
    // When a finishes b is still moving; when b finishes nothing is.
    expect(busyAt).toEqual([
      { t: expect.closeTo(1.25, 12), busy: true },
      { t: expect.closeTo(1.75, 12), busy: false },
    ]);
    expect(link.transfers).toBe(2);
    expect(link.bytes).toBe(3e9);
  });
});

describe('KvLink: zero-byte transfer', () => {
  it('takes the latency only', () => {
    const { done } = transfers(LINK, [{ name: 'z', at: 0.5, bytes: 0 }]);
    expect(done.get('z')).toBeCloseTo(0.75, 12);
  });

  it('without latency it is done at once (but after send returns)', () => {
    const sim = new Simulator();
    const link = new KvLink(sim, NO_LATENCY);
    let doneAt = -1;
    sim.schedule(0.5, () => {
      link.send(0, () => (doneAt = sim.now), undefined);
      expect(doneAt).toBe(-1);
    });
    sim.run();
    expect(doneAt).toBe(0.5);
  });

  it('does not slow a transfer it overlaps', () => {
    // a alone: 1e9 / 2e9 = 0.5. z (0 bytes) at 0.1 finishes at 0.1 and a still ends at 0.5.
    const { done } = transfers(NO_LATENCY, [
      { name: 'a', at: 0, bytes: 1e9 },
      { name: 'z', at: 0.1, bytes: 0 },
    ]);
    expect(done.get('z')).toBeCloseTo(0.1, 12);
    expect(done.get('a')).toBeCloseTo(0.5, 12);
  });
});
