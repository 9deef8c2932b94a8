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
