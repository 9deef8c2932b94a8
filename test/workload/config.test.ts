import { describe, expect, it } from 'vitest';
import { parseWorkloadConfig, workloadSchema } from '../../src/workload/index.js';
import { inputError } from './fixtures.js';

const err = (raw: unknown) => inputError(() => parseWorkloadConfig(raw, 'exp.yaml'));

describe('workloadSchema', () => {
  it('accepts the rate, ratio and trace shapes', () => {
    expect(
      parseWorkloadConfig({
        duration: 300,
        sources: [
          { class: 'sharegpt', dataset: 'sharegpt', rate: 7, arrival: 'poisson' },
          { class: 'bird', dataset: 'bird', rate: 4, arrival: { process: 'gamma', cv: 2 } },
        ],
      }).sources,
    ).toHaveLength(2);
    expect(
      parseWorkloadConfig({
        requests: 100,
        rate: 11,
        arrival: 'constant',
        sources: [
          { class: 'a', dataset: 'sharegpt', ratio: 7 },
          { class: 'b', trace: { format: 'vidur', path: 'x.csv', loop: true }, ratio: 4 },
        ],
      }).rate,
    ).toBe(11);
    // A workload of traces replaying their timestamps may end with the traces.
    expect(parseWorkloadConfig({ sources: [{ class: 'm', trace: { format: 'mooncake', path: 't.jsonl', speedup: 2 } }] })).toBeTruthy();
  });

  it('allows a length filter on dataset sources only', () => {
    expect(parseWorkloadConfig({ duration: 1, sources: [{ class: 'a', dataset: 'x', rate: 1, filter: { maxTotalTokens: 2048 } }] })).toBeTruthy();
    expect(
      err({ duration: 1, sources: [{ class: 'a', fixed: { promptTokens: 5, outputTokens: 5 }, rate: 1, filter: { maxPromptTokens: 9 } }] }),
    ).toMatchObject({ where: 'workload.sources[0].filter', message: expect.stringMatching(/only for dataset and trace sources/) });
    expect(parseWorkloadConfig({ sources: [{ class: 'm', trace: { format: 'mooncake', path: 't.jsonl' }, filter: { maxPromptTokens: 9 } }] })).toBeTruthy();
    expect(err({ duration: 1, sources: [{ class: 'a', dataset: 'x', rate: 1, filter: { maxPromptTokens: 0 } }] }).where).toBe(
      'workload.sources[0].filter.maxPromptTokens',
    );
    expect(err({ duration: 1, sources: [{ class: 'a', dataset: 'x', rate: 1, filter: {} }] })).toMatchObject({
      where: 'workload.sources[0].filter',
      message: 'give at least one bound',
    });
    expect(
      err({ duration: 1, sources: [{ class: 'a', dataset: 'x', rate: 1, filter: { minPromptTokens: 2000, maxPromptTokens: 1000 } }] }),
    ).toMatchObject({ where: 'workload.sources[0].filter.minPromptTokens', message: 'must not exceed maxPromptTokens (1000)' });
    expect(
      err({ duration: 1, sources: [{ class: 'a', dataset: 'x', rate: 1, filter: { minPromptTokens: 1000, minOutputTokens: 50, maxTotalTokens: 1024 } }] }).where,
    ).toBe('workload.sources[0].filter.maxTotalTokens');
  });

  it('rejects unknown keys and non-positive numbers, naming the field', () => {
    expect(err({ duration: 10, sources: [{ class: 'a', dataset: 'x', rate: 1, rat: 2 }] })).toMatchObject({
      file: 'exp.yaml',
      where: 'workload.sources[0]',
      message: 'unknown key "rat"',
    });
    expect(err({ duration: 10, sources: [{ class: 'a', dataset: 'x', rate: 0 }] }).where).toBe('workload.sources[0].rate');
    expect(err({ duration: -1, sources: [{ class: 'a', dataset: 'x', rate: 1 }] }).where).toBe('workload.duration');
    expect(err({ requests: 1.5, sources: [{ class: 'a', dataset: 'x', rate: 1 }] }).where).toBe('workload.requests');
    expect(err({ duration: 1, sources: [] }).where).toBe('workload.sources');
  });

  it('explains arrival mistakes', () => {
    const gammaNoCv = err({ duration: 1, sources: [{ class: 'a', dataset: 'x', rate: 1, arrival: { process: 'gamma' } }] });
    expect(gammaNoCv.where).toBe('workload.sources[0].arrival.cv');
    const typo = err({ duration: 1, sources: [{ class: 'a', dataset: 'x', rate: 1, arrival: 'posson' }] });
    expect(typo).toMatchObject({ where: 'workload.sources[0].arrival', message: expect.stringMatching(/poisson, constant/) });
  });

  it('checks mode consistency', () => {
    expect(err({ duration: 1, sources: [{ class: 'a', dataset: 'x' }] })).toMatchObject({
      where: 'workload.sources[0].rate',
      message: 'required for a dataset source',
    });
    expect(err({ duration: 1, sources: [{ class: 'a', dataset: 'x', trace: { format: 'vidur', path: 'p' }, rate: 1 }] }).message).toMatch(
      /exactly one of dataset, trace, pool or fixed/,
    );
    expect(err({ duration: 1, rate: 5, sources: [{ class: 'a', dataset: 'x' }] }).where).toBe('workload.sources[0].ratio');
    expect(err({ duration: 1, rate: 5, sources: [{ class: 'a', dataset: 'x', ratio: 1, rate: 2 }] }).where).toBe(
      'workload.sources[0].rate',
    );
    expect(err({ duration: 1, sources: [{ class: 'a', dataset: 'x', rate: 1, ratio: 2 }] }).where).toBe('workload.sources[0].ratio');
    expect(err({ duration: 1, arrival: 'constant', sources: [{ class: 'a', dataset: 'x', rate: 1 }] }).where).toBe('workload.arrival');
    expect(err({ sources: [{ class: 'a', dataset: 'x', rate: 1 }] }).message).toMatch(/duration.*requests/);
    expect(err({ sources: [{ class: 'a', trace: { format: 'vidur', path: 'p', loop: true } }] }).where).toBe(
      'workload.sources[0].trace.loop',
    );
    expect(err({ duration: 1, sources: [{ class: 'a', trace: { format: 'vidur', path: 'p', speedup: 2 }, rate: 1 }] }).where).toBe(
      'workload.sources[0].trace.speedup',
    );
    expect(err({ duration: 1, sources: [{ class: 'a', trace: { format: 'csv', path: 'p' } }] }).where).toBe(
      'workload.sources[0].trace.format',
    );
  });

  it('is a zod schema that can be embedded', () => {
    expect(workloadSchema.safeParse({ requests: 1, sources: [{ class: 'a', dataset: 'b', rate: 1 }] }).success).toBe(true);
  });
});
