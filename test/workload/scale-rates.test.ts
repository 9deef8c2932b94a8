import { describe, expect, it } from 'vitest';
import { applyPoint, RATE_KEY } from '../../src/experiment/sweep.js';
import { withTotalRate } from '../../src/plan/workload-rate.js';
import { scaleRates } from '../../src/workload/scale-rates.js';
import type { WorkloadConfig } from '../../src/workload/index.js';

describe('scaling source rates to a total', () => {
  it('keeps the mix and rounds away float noise', () => {
    expect(scaleRates([7, 4], 22)).toEqual([14, 8]);
    expect(scaleRates([1, 1, 1], 1)).toEqual([0.333333333, 0.333333333, 0.333333333]);
  });

  it('gives a plan and a sweep of rates the same source rates at the same total', () => {
    const sources = [{ rate: 3 }, { rate: 5 }, { rate: 0.7 }];
    const total = 13.456789123456;
    const swept = applyPoint({ workload: { sources } }, { [RATE_KEY]: total }) as { workload: { sources: { rate: number }[] } };
    const planned = withTotalRate({ sources } as unknown as WorkloadConfig, total);
    expect(planned.sources.map((s) => s.rate)).toEqual(swept.workload.sources.map((s) => s.rate));
    expect(planned.sources.map((s) => s.rate)).toEqual(scaleRates([3, 5, 0.7], total));
  });
});
