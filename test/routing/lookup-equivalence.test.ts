import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nearestTick, ProfileTable, SimpleOutputPredictor, type AibrixProfile } from '../../src/routing/index.js';

/** The fast paths (memoized ticks, flat tables, cumulative predictor counts) against the plain rules. */
describe('profile and predictor lookups', () => {
  const profile: AibrixProfile = {
    gpu: 'X',
    indexes: [
      [4, 16, 64, 256, 1024],
      [8, 128, 2048],
    ],
    tputs: [
      [3, 0, 1.5],
      [2, 7, 0],
      [1, 1, 1],
      [0.5, 4, 9],
      [6, 2, 0.25],
    ],
    e2e: [
      [0.3, 0.4, 1.1],
      [0.7, 0.2, 3],
      [1, 2, 3],
      [5, 0.9, 0.1],
      [8, 13, 21],
    ],
    slos: { e2e: 5 },
  };
  const table = new ProfileTable(profile);
  const outLog = Float64Array.from(profile.indexes[0], Math.log2);
  const inLog = Float64Array.from(profile.indexes[1], Math.log2);

  it('memoized tick indexes and flat consumption equal a direct lookup', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200_000 }), fc.integer({ min: 1, max: 200_000 }), (out, prompt) => {
        const o = nearestTick(outLog, out);
        const i = nearestTick(inLog, prompt);
        expect(table.outIndex(out)).toBe(o);
        expect(table.inIndex(prompt)).toBe(i);
        // Asked twice: the memo answers the second time.
        expect(table.inIndex(prompt)).toBe(i);
        const lambda = profile.tputs![o][i];
        const want = lambda === 0 ? -1 : 1 / lambda / profile.e2e![o][i];
        expect(table.consumptionFlat![o * table.cols + i]).toBe(want);
        expect(table.e2eFlat![o * table.cols + i]).toBe(profile.e2e![o][i]);
      }),
    );
  });

  it('predictions equal the linear scan over the histogram, draw for draw', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 0, max: 600 })), {
          maxLength: 60,
        }),
        fc.array(fc.double({ min: 0, max: 0.999999, noNaN: true }), { minLength: 1, maxLength: 20 }),
        (traces, draws) => {
          const p = new SimpleOutputPredictor({ windowS: 60, slotS: 10 });
          // The reference: the same histogram kept naively (only while no slot expired).
          const hist = new Map<number, number[]>();
          const b = (t: number) => (t > 0 ? Math.min(Math.round(Math.log2(t)), 20) : 0);
          let t = 0;
          for (const [input, output, dt] of traces) {
            t += dt / 100; // well inside the window: nothing expires
            p.addTrace(input, output, t);
            const row = hist.get(b(input)) ?? new Array(21).fill(0);
            row[b(output)]++;
            hist.set(b(input), row);
          }
          for (const [input] of traces.slice(0, 5)) {
            for (const d of draws) {
              const row = hist.get(b(input))!;
              const n = row.reduce((x, y) => x + y, 0);
              const cursor = Math.floor(d * n);
              let acc = 0;
              let want = 0;
              for (let k = 0; k < row.length; k++) {
                acc += row[k];
                if (cursor < acc) {
                  want = 2 ** k;
                  break;
                }
              }
              expect(p.predict(input, { random: () => d })).toBe(want);
            }
          }
        },
      ),
    );
  });
});
