/**
 * findMaxRate on real simulations of an instance whose capacity is known by hand: every step
 * takes 10 ms (H100-SXM) or 20 ms (L40S) in the constant table, one sequence runs at a time, and
 * every request is 100 prompt tokens and 10 output tokens arriving at constant intervals. A
 * request then takes 1 + 9 steps: 100 ms (10 req/s) or 200 ms (5 req/s). Below that rate no
 * request waits (TTFT = one step); above it the queue grows with every arrival, so over 60 s
 * more than half the requests wait past 50 ms as soon as the rate exceeds capacity by ~0.1 %.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FleetEntry } from '../../src/experiment/index.js';
import { searchCapacity } from '../../src/plan/block-capacity.js';
import { unifiedProbe, type ProbeBase } from '../../src/plan/probe-configs.js';
import { createSimRunner } from '../../src/plan/sim-runner.js';
import type { SloTarget } from '../../src/plan/slo-target.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');

const base: ProbeBase = {
  name: 'hand-capacity',
  seed: 1,
  model: 'Llama-3.1-8B',
  workload: {
    duration: 60,
    sources: [{ class: 'fixed', dataset: join(FIXTURES, 'fixed-lengths.yaml'), rate: 1, arrival: 'constant' }],
  },
};

const entry = (gpu: string): FleetEntry => ({
  gpu,
  count: 1,
  tp: 1,
  role: 'unified',
  dp: 1,
  // Hand capacities: no front end, synchronous scheduling.
  engine: { maxNumSeqs: 1, asyncScheduling: false },
  timing: { table: join(FIXTURES, 'constant-steps.csv') },
  frontend: { requestMs: 0, responseMs: 0 },
});

const TTFT_50MS_HALF: SloTarget[] = [{ metric: 'ttft', maxMs: 50, attainment: 50 }];

describe('findMaxRate on a simulated instance of known capacity', () => {
  const runner = createSimRunner(0);
  afterAll(() => runner.close());

  for (const [gpu, capacity] of [
    ['H100-SXM', 10],
    ['L40S', 5],
  ] as const) {
    it(`${gpu}: one instance sustains ${capacity} req/s (within 1 %)`, async () => {
      const r = await searchCapacity(
        { runner, file: 'test', baseDir: FIXTURES, precision: 0.01, percentiles: { ttft: 50, tpot: 99 } },
        gpu,
        TTFT_50MS_HALF,
        (rate) => unifiedProbe(base, entry(gpu), rate),
      );
      expect(r.rate).toBeGreaterThanOrEqual(capacity * 0.99);
      expect(r.rate).toBeLessThanOrEqual(capacity * 1.002);
      expect(r.failedAt).toBeGreaterThan(capacity);
      expect(r.failedAt).toBeLessThanOrEqual(capacity * 1.02);
      // Below capacity nobody waits: TTFT is one step.
      expect(r.best!.result.slos[0].pMs).toBeCloseTo(1000 / capacity / 10, 6);
    });
  }
});
