import { describe, expect, it } from 'vitest';
import { fitFrontendMs, objective, setHostStep, type FidelityReport } from '../../src/fidelity/index.js';

function report(pairs: [simTtft: number, measTtft: number, tpotErr: number][]): FidelityReport {
  return {
    seeds: [1],
    medians: { all: { ape: {}, signed: {}, runs: pairs.length }, noOffload: { ape: {}, signed: {}, runs: 0 } },
    runs: pairs.map(([s, m, tpot], i) => ({
      id: String(i),
      model: 'm',
      cpuOffload: false,
      scopes: [
        {
          scope: 'all',
          requests: 1,
          simulated: { ttftMean: s, e2eMean: 1000 + s },
          measured: { ttftMean: m, e2eMean: 1000 + m },
          error: { tpotMean: tpot },
        },
      ],
    })),
  };
}

describe('end-to-end fit', () => {
  it('fits the front end as the weighted median gap of the TTFT means', () => {
    // Gaps 5 (weight 1/15) and 10 (1/30): 1/15 already holds half the weight, so F = 5 ms.
    expect(fitFrontendMs(report([[10, 15, 0], [20, 30, 0]]))).toBe(5);
    // An overloaded run (gap -900) does not drag it: gaps -900, 8, 9 with weights 1/100, 1/20, 1/20.
    expect(fitFrontendMs(report([[1000, 100, 0], [12, 20, 0], [11, 20, 0]]))).toBe(8);
    // A simulation already slower than the measurements gets no front end, not a negative one.
    expect(fitFrontendMs(report([[20, 15, 0]]))).toBe(0);
  });

  it('scores median APEs of TPOT, E2E and TTFT once the front end is added', () => {
    // TTFT 10+6 vs 15 and 20+6 vs 30: APEs 1/15 and 4/30, median 0.1; E2E: 1/1015 and 4/1030.
    const r = report([[10, 15, 0.02], [20, 30, -0.04]]);
    expect(objective(r, 6)).toBeCloseTo(0.03 + (1 / 1015 + 4 / 1030) / 2 + 0.1, 12);
  });

  it('sets the host step of every fleet entry, keeping its other engine settings', () => {
    const config = { fleet: [{ gpu: 'H100', engine: { maxNumSeqs: 64 } }, { gpu: 'A100', engine: 'sglang' }, { gpu: 'L40S' }] };
    setHostStep(config, 0.001, 2e-6);
    expect(config.fleet.map((f) => f.engine)).toEqual([
      { maxNumSeqs: 64, stepOverheadMs: 1, stepOverheadPerSeqUs: 2 },
      { kind: 'sglang', stepOverheadMs: 1, stepOverheadPerSeqUs: 2 },
      { stepOverheadMs: 1, stepOverheadPerSeqUs: 2 },
    ]);
  });
});
