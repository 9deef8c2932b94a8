import { describe, expect, it } from 'vitest';
import { randomStream } from '../../src/engine/index.js';
import { ConstantArrivals, ConditionedPoissonArrivals, StagedArrivals, openWorkload, parseWorkloadConfig, stageCount } from '../../src/workload/index.js';

function take(p: { next(): number }, n: number): number[] {
  return Array.from({ length: n }, () => p.next());
}

describe('rate stages', () => {
  it('runs each stage at its own rate from its own start, then ends', () => {
    // Constant: stage 1 (2/s for 1 s) sends at 0 and 0.5; stage 2 (4/s for 0.5 s) at 1 and 1.25.
    const p = new StagedArrivals(
      [
        { rate: 2, duration: 1 },
        { rate: 4, duration: 0.5 },
      ],
      (rate) => new ConstantArrivals(rate),
    );
    expect(take(p, 5)).toEqual([0, 0.5, 1, 1.25, Infinity]);
  });

  it('conditioned Poisson sends exactly floor(rate x duration) per stage, the last on the stage end', () => {
    // A draw of 1 - e^-1 makes every exponential gap equal (1/rate): arrivals are evenly spread.
    const even = () => 1 - Math.exp(-1);
    const p = new ConditionedPoissonArrivals(
      [
        { rate: 2, duration: 3 },
        { rate: 0.1, duration: 30 },
      ],
      even,
    );
    const t = take(p, 10);
    expect(t.slice(0, 6).map((x) => +x.toFixed(9))).toEqual([0.5, 1, 1.5, 2, 2.5, 3]);
    // 0.1 x 30 is 2.9999999999999996 in floating point, and still 3 arrivals: 13, 23, 33.
    expect(t.slice(6, 9).map((x) => +x.toFixed(9))).toEqual([13, 23, 33]);
    expect(t[9]).toBe(Infinity);
    expect(stageCount({ rate: 0.1, duration: 30 })).toBe(3);
  });

  it('conditioned Poisson with a real stream: the count and the end are exact, gaps vary', () => {
    const p = new ConditionedPoissonArrivals([{ rate: 2.5, duration: 40 }], randomStream(7, 't'));
    const t = take(p, 101);
    expect(t[99]).toBe(40);
    expect(t[100]).toBe(Infinity);
    for (let i = 1; i < 100; i++) expect(t[i]).toBeGreaterThan(t[i - 1]);
    const gaps = t.slice(1, 100).map((x, i) => x - t[i]);
    expect(Math.max(...gaps) / Math.min(...gaps)).toBeGreaterThan(10);
  });

  it('a staged workload sends the sum of the stage counts, numbered in arrival order', () => {
    const config = parseWorkloadConfig({
      stages: [
        { rate: 2.5, duration: 4 },
        { rate: 5, duration: 2 },
      ],
      arrival: 'conditioned-poisson',
      sources: [{ class: 'c', ratio: 1, fixed: { promptTokens: 100, outputTokens: 10 } }],
    });
    const stream = openWorkload(config, { seed: 3, baseDir: '.' });
    const reqs = [];
    for (let r = stream.next(); r; r = stream.next()) reqs.push({ ...r });
    expect(reqs).toHaveLength(10 + 10);
    expect(reqs.filter((r) => r.arrival <= 4)).toHaveLength(10);
    expect(reqs[9].arrival).toBe(4);
    expect(reqs[19].arrival).toBe(6);
    expect(reqs.map((r) => r.id)).toEqual([...Array(20).keys()]);
    expect(reqs.every((r) => r.promptTokens === 100 && r.outputTokens === 10 && r.prefixHashes.length === 0)).toBe(true);
  });

  it('explains mistakes with the field', () => {
    const err = (raw: unknown) => {
      try {
        parseWorkloadConfig(raw, 'e.yaml');
      } catch (e) {
        return e as { where: string; message: string };
      }
      throw new Error('expected an error');
    };
    const src = [{ class: 'c', ratio: 1, fixed: { promptTokens: 1, outputTokens: 1 } }];
    expect(err({ stages: [{ rate: 1, duration: 1 }], rate: 2, sources: src }).where).toBe('workload.rate');
    expect(err({ stages: [{ rate: 1, duration: 1 }], duration: 2, sources: src }).message).toMatch(/sum of the stage durations/);
    expect(err({ requests: 5, rate: 2, arrival: 'conditioned-poisson', sources: src })).toMatchObject({
      where: 'workload.arrival',
      message: expect.stringMatching(/needs stages, or a rate and a duration/),
    });
    expect(err({ stages: [{ rate: 0, duration: 1 }], sources: src }).where).toBe('workload.stages[0].rate');
    expect(err({ duration: 1, sources: [{ class: 'c', rate: 1, arrival: 'conditioned-poisson', fixed: { promptTokens: 1, outputTokens: 1 } }] }).where).toBe(
      'workload.sources[0].arrival',
    );
  });
});
