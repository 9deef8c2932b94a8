import { describe, expect, it } from 'vitest';
import { createPolicy, RoutingConfigError } from '../../src/routing/index.js';
import { endpoint, makeCtx, request } from './helpers.js';

describe('class-to-gpu (Oracle / Scalar baselines)', () => {
  it('sends each class to its GPU type, least-request inside it; unmapped classes anywhere', () => {
    const eps = [endpoint(0, { gpuType: 'A10', inflight: 5 }), endpoint(1, { gpuType: 'L20', inflight: 2 }), endpoint(2, { gpuType: 'L20', inflight: 1 })];
    const p = createPolicy('class-to-gpu', { map: { chat: 'A10', sql: 'L20' } });
    const ctx = makeCtx(1);
    expect(p.select(request(1, { workloadClass: 'chat' }), eps, ctx)!.id).toBe('A10-0');
    expect(p.select(request(2, { workloadClass: 'sql' }), eps, ctx)!.id).toBe('L20-2');
    expect(p.select(request(3, { workloadClass: 'other' }), eps, ctx)!.id).toBe('L20-2');
    expect(() => createPolicy('class-to-gpu', { map: ['A10'] })).toThrow(RoutingConfigError);
  });
});
