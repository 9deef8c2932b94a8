import fc from 'fast-check';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { AleaStream, randomStream } from '../../src/engine/random.js';

const draws = (next: () => number, n: number) => Array.from({ length: n }, () => next());

describe('AleaStream (seedrandom.alea with skip)', () => {
  it('skip(n) leaves the stream where n draws would: the next draws are the same', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }),
        fc.array(fc.integer({ min: 0, max: 2000 }), { minLength: 1, maxLength: 12 }),
        (seed, steps) => {
          const skipping = new AleaStream(seed);
          const theirs = seedrandom.alea(seed);
          // Alternate: skip steps[i] draws, then compare a few produced draws.
          for (const n of steps) {
            skipping.skip(n);
            for (let i = 0; i < n; i++) theirs();
            expect(draws(() => skipping.next(), 3)).toEqual(draws(theirs, 3));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('long skips (multiplied, not stepped) land where stepping does', () => {
    for (const n of [127, 128, 129, 550, 4096, 65_537, 1_000_003]) {
      const skipping = new AleaStream('17/router');
      const theirs = seedrandom.alea('17/router');
      draws(() => skipping.next(), 5);
      draws(theirs, 5);
      skipping.skip(n);
      for (let i = 0; i < n; i++) theirs();
      expect(draws(() => skipping.next(), 20)).toEqual(draws(theirs, 20));
    }
  });

  it('skip(0) and negative counts change nothing', () => {
    const a = new AleaStream('x');
    const b = new AleaStream('x');
    a.skip(0);
    a.skip(-5);
    expect(draws(() => a.next(), 10)).toEqual(draws(() => b.next(), 10));
  });
});

describe('randomStream', () => {
  it('is seedrandom.alea("<seed>/<name>"), and its skip advances it like draws', () => {
    const r = randomStream(9, 'router');
    const ref = seedrandom.alea('9/router');
    expect(draws(r, 50)).toEqual(draws(ref, 50));
    r.skip!(1234);
    draws(ref, 1234);
    expect(draws(r, 50)).toEqual(draws(ref, 50));
  });
});
