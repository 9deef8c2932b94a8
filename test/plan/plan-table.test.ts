import { describe, expect, it } from 'vitest';
import { probeLength } from '../../src/plan/plan-table.js';

describe('the plan header', () => {
  it('names how long each simulation runs: duration, requests, or whichever ends first', () => {
    expect(probeLength({ duration: 60 })).toBe('60 s of arrivals');
    expect(probeLength({ requests: 500 })).toBe('500 requests');
    // Both given: the workload ends at whichever comes first, so the header names both.
    expect(probeLength({ duration: 60, requests: 500 })).toBe('60 s of arrivals or 500 requests, whichever ends first,');
    expect(probeLength({})).toBe("the workload's own length");
  });
});

describe('where a plan writes', () => {
  it("outputs.dir is relative to the plan file, as an experiment's is, not to the working directory", async () => {
    const { planDir } = await import('../../src/cli/plan-command.js');
    const at = (dir: string | undefined) => ({ name: 'p', baseDir: '/plans/a', config: { outputs: { dir } } }) as unknown as Parameters<typeof planDir>[0];
    expect(planDir(at('myout'), undefined)).toBe('/plans/a/myout');
    expect(planDir(at('/abs/out'), undefined)).toBe('/abs/out');
    expect(planDir(at(undefined), undefined)).toBe('results/p');
    expect(planDir(at('myout'), '/root')).toBe('/root/p');
  });
});
