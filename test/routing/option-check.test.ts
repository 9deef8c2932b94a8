import { describe, expect, it } from 'vitest';
import { createPdPolicy, createPolicy, UnknownOptionError } from '../../src/routing/index.js';

describe('policy options', () => {
  it('a misspelled option is an error naming it and the options the policy reads', () => {
    let err: unknown;
    try {
      createPolicy('prefix-cache', { blockSize: 64 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnknownOptionError);
    expect((err as UnknownOptionError).option).toBe('blockSize');
    expect((err as Error).message).toMatch(/prefix-cache: unknown option "blockSize"; it reads .*"blockTokens"/);
  });

  it('known options, and the options a host passes to every policy, are accepted', () => {
    expect(createPolicy('prefix-cache', { blockTokens: 64 }).name).toBe('prefix-cache');
    expect(createPolicy('least-request', { model: 'm' }).name).toBe('least-request');
  });

  it('applies to prefill/decode policies too', () => {
    expect(() => createPdPolicy('sglang-pd', { prefil: 'random' })).toThrow(UnknownOptionError);
    expect(createPdPolicy('sglang-pd', { prefill: 'random', decode: 'random' }).name).toMatch(/sglang-pd/);
  });
});
