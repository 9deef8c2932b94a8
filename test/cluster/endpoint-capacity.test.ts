import { describe, expect, it } from 'vitest';
import { InstanceEndpoint } from '../../src/cluster/endpoint.js';
import { defaultHasCapacity } from '../../src/routing/gateway.js';
import type { Engine } from '../../src/serving/index.js';

const engine = (s: { slots: number; running: number; queued: number; freeKvTokens: number; queuedPromptTokens: number }) => s as unknown as Engine;
const request = (promptTokens: number) => ({ promptTokens }) as Parameters<typeof defaultHasCapacity>[0];

describe('the capacity a simulated instance reports (pull mode takes work by it)', () => {
  it('leaves room for the prompts already queued there, as it leaves slots for them', () => {
    // 1,000 free KV tokens, 800 of them owed to the two queued prompts: room for 200 more.
    const e = new InstanceEndpoint(0, engine({ slots: 8, running: 3, queued: 2, freeKvTokens: 1000, queuedPromptTokens: 800 }), 'A10', 'unified');
    expect(e.capacity()).toEqual({ freeSlots: 3, freeKvTokens: 200 });
    expect(defaultHasCapacity(request(200), e)).toBe(true);
    expect(defaultHasCapacity(request(300), e)).toBe(false);
    // Queued prompts beyond the free KV (they wait for running sequences to finish): no room, not negative.
    const full = new InstanceEndpoint(1, engine({ slots: 8, running: 3, queued: 2, freeKvTokens: 100, queuedPromptTokens: 800 }), 'A10', 'unified');
    expect(full.capacity().freeKvTokens).toBe(0);
  });
});
