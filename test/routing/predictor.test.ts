import { describe, expect, it } from 'vitest';
import { SimpleOutputPredictor } from '../../src/routing/index.js';

const fixed = (r: number) => ({ random: () => r });

describe('AIBrix SimpleOutputPredictor', () => {
  it('predicts 1 without history (optimistic cold start) and 2^k by weighted draw', () => {
    const p = new SimpleOutputPredictor();
    expect(p.predict(100, fixed(0.5))).toBe(1);
    for (let i = 0; i < 3; i++) p.addTrace(100, 4, 1);
    p.addTrace(100, 70, 1); // round(log2 70) = 6 -> 64
    // cursor = floor(r * 4): 0..2 -> bucket 2 (4), 3 -> bucket 6 (64)
    expect(p.predict(100, fixed(0.74))).toBe(4);
    expect(p.predict(100, fixed(0.76))).toBe(64);
    // Input buckets are round(log2 prompt): 128 shares bucket 7 with 100, 90 (6.49) does not.
    expect(p.predict(128, fixed(0.76))).toBe(64);
    expect(p.predict(90, fixed(0.76))).toBe(1);
  });

  it('rounds output lengths to the nearest power of two in log2 space', () => {
    const p = new SimpleOutputPredictor();
    p.addTrace(100, 5, 0); // round(2.32) = 2 -> 4
    expect(p.predict(100, fixed(0))).toBe(4);
    const q = new SimpleOutputPredictor();
    q.addTrace(100, 6, 0); // round(2.58) = 3 -> 8
    expect(q.predict(100, fixed(0))).toBe(8);
  });

  it('expires traces after the 240 s window in 10 s slots, and only when a trace is added', () => {
    const p = new SimpleOutputPredictor({ startTime: 0 });
    p.addTrace(100, 4, 0);
    p.addTrace(100, 4, 239); // 23 slots forward: the t=0 trace is still in the window
    expect(p.historySize(100)).toBe(2);
    expect(p.predict(100, fixed(0.9))).toBe(4);
    p.addTrace(100, 64, 245); // the window now starts at slot 1 (t in [10, 250))
    expect(p.historySize(100)).toBe(2);
    // Predict never rotates: at t = 10000 the history is still what it was at t = 245.
    expect(p.predict(100, fixed(0.99))).toBe(64);
    expect(p.historySize(100)).toBe(2);
    // A trace after a long gap clears everything older.
    p.addTrace(100, 4, 10000);
    expect(p.historySize(100)).toBe(1);
  });

  it('expires by slot, not by exact age (AIBrix slot granularity)', () => {
    const p = new SimpleOutputPredictor({ startTime: 0 });
    p.addTrace(100, 4, 5);
    p.addTrace(100, 4, 244); // 24 slots forward: slot 0 (t=5, age 239 s) is dropped
    expect(p.historySize(100)).toBe(1);
  });

  it('clamps huge lengths to the last bucket', () => {
    const p = new SimpleOutputPredictor({ maxInputTokens: 1024, maxOutputTokens: 1024 });
    expect(p.outputBuckets).toBe(11);
    p.addTrace(1e6, 1e6, 0);
    expect(p.predict(5000, fixed(0))).toBe(1024);
  });
});
