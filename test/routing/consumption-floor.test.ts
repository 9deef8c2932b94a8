import { describe, expect, it } from 'vitest';
import { ConsumptionFloor } from '../../src/routing/consumption-floor.js';
import { SimpleOutputPredictor } from '../../src/routing/predictor.js';
import { ProfileTable } from '../../src/routing/profiles.js';

/**
 * Ticks: output [4, 64, 1024], input [128, 1024]. Consumption 1/(tput x e2e) per cell
 * (input 128, input 1024):
 *   out 4:    1/(10 x 0.5) = 0.2,  1/(5 x 1) = 0.2
 *   out 64:   1/(4 x 2) = 0.125,   tput 0 (SLO failure)
 *   out 1024: 1/(2 x 8) = 0.0625,  1/(1 x 8) = 0.125
 */
function table(): ProfileTable {
  return new ProfileTable({
    gpu: 'x',
    indexes: [[4, 64, 1024], [128, 1024]],
    tputs: [[10, 5], [4, 0], [2, 1]],
    e2e: [[0.5, 1], [2, 4], [8, 8]],
    slos: { e2e: 10 },
  });
}

describe('ConsumptionFloor', () => {
  it('is the consumption of the cold prediction when the prompt has no history', () => {
    const p = new SimpleOutputPredictor();
    const f = new ConsumptionFloor(table(), p);
    // Cold prediction 1 -> output tick 4; prompt 100 -> input tick 128: 0.2.
    expect(f.of(100)).toBe(0.2);
  });

  it('is the least consumption over the outputs the predictor can draw for the prompt', () => {
    const p = new SimpleOutputPredictor();
    const f = new ConsumptionFloor(table(), p);
    p.addTrace(128, 4, 0); // output 4 -> row 4: 0.2
    expect(f.of(128)).toBe(0.2);
    p.addTrace(128, 1024, 1); // output 1024 -> row 1024: 0.0625
    expect(f.of(128)).toBe(0.0625);
    // Another input bucket's history does not count.
    expect(f.of(1000)).toBe(0.2);
  });

  it('is NaN when some possible draw lands on an SLO-failure cell', () => {
    const p = new SimpleOutputPredictor();
    const f = new ConsumptionFloor(table(), p);
    p.addTrace(1024, 4, 0);
    expect(f.of(1024)).toBe(0.2);
    p.addTrace(1024, 64, 0); // row 64, column 1024: tput 0
    expect(f.of(1024)).toBeNaN();
  });

  it('follows expiry: a bucket that empties is no longer possible', () => {
    const p = new SimpleOutputPredictor({ windowS: 20 });
    const f = new ConsumptionFloor(table(), p);
    p.addTrace(128, 1024, 0);
    expect(f.of(128)).toBe(0.0625);
    const before = p.presenceEpoch;
    // Later traces rotate the window until the first one has expired.
    for (let t = 10; t <= 40; t += 10) p.addTrace(128, 4, t);
    expect(p.presenceEpoch).not.toBe(before);
    expect(p.canPredict(p.inputBucket(128), 10)).toBe(false);
    expect(f.of(128)).toBe(0.2);
  });
});

describe('SimpleOutputPredictor.drawBucket', () => {
  it('is the bucket whose prediction predict returns, for the same draw', () => {
    const p = new SimpleOutputPredictor();
    for (const [i, o] of [[100, 10], [100, 300], [100, 300], [100, 5000]]) p.addTrace(i, o, 0);
    const ib = p.inputBucket(100);
    for (const u of [0, 0.2, 0.3, 0.5, 0.74, 0.76, 0.999]) {
      expect(p.prediction(p.drawBucket(ib, { random: () => u }))).toBe(p.predict(100, { random: () => u }));
    }
    expect(p.historyIn(ib)).toBe(4);
  });
});
