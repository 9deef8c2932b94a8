import { describe, expect, it } from 'vitest';
import { openWorkload, parseWorkloadConfig, type RequestSpec } from '../../src/workload/index.js';
import { drain, inputError, tempDir } from './fixtures.js';

const tmp = tempDir();
tmp.write(
  'own.yaml',
  'name: own\ndescription: fixed lengths\nsource: {data: test}\npromptTokens: {quantiles: [100, 100]}\noutputTokens: {quantiles: [10, 10]}\n',
);
tmp.write(
  'mc.jsonl',
  [0, 1000, 2000, 2000, 5000]
    .map((t, i) => `{"timestamp": ${t}, "input_length": ${1024 + i}, "output_length": ${i}, "hash_ids": [0, ${i + 1}, 9]}`)
    .join('\n'),
);
tmp.write('lengths.csv', 'num_prefill_tokens,num_decode_tokens\n11,1\n22,2\n33,3\n');

const open = (raw: unknown, seed: number | string = 1) =>
  openWorkload(parseWorkloadConfig(raw), { seed, baseDir: tmp.dir, file: 'exp.yaml' });

function checkStream(rs: RequestSpec[]): void {
  rs.forEach((r, i) => {
    expect(r.id).toBe(i);
    if (i > 0) expect(r.arrival).toBeGreaterThanOrEqual(rs[i - 1].arrival);
  });
}

describe('openWorkload', () => {
  it('mixes sources by rate: merged by arrival, counts in proportion', () => {
    const rs = drain(
      open({
        duration: 2000,
        sources: [
          { class: 'sharegpt', dataset: 'sharegpt', rate: 7 },
          { class: 'bird', dataset: 'bird', rate: 4, arrival: { process: 'gamma', cv: 2 } },
        ],
      }),
    );
    checkStream(rs);
    const bird = rs.filter((r) => r.workloadClass === 'bird').length;
    const share = rs.length - bird;
    expect(Math.abs(share / 2000 / 7 - 1)).toBeLessThan(0.03);
    expect(Math.abs(bird / 2000 / 4 - 1)).toBeLessThan(0.1);
    expect(rs[rs.length - 1].arrival).toBeLessThan(2000);
    expect(rs.filter((r) => r.workloadClass === 'bird').every((r) => r.prefixHashes.length > 0)).toBe(true);
  });

  it('mixes sources by ratio under a total rate', () => {
    const rs = drain(
      open({
        requests: 20_000,
        rate: 11,
        sources: [
          { class: 'a', dataset: 'sharegpt', ratio: 7 },
          { class: 'b', dataset: 'own.yaml', ratio: 4 },
        ],
      }),
    );
    expect(rs).toHaveLength(20_000);
    checkStream(rs);
    const b = rs.filter((r) => r.workloadClass === 'b');
    expect(Math.abs(b.length / 20_000 - 4 / 11)).toBeLessThan(0.015);
    expect(b.every((r) => r.promptTokens === 100 && r.outputTokens === 10)).toBe(true);
    expect(Math.abs(rs[rs.length - 1].arrival / (20_000 / 11) - 1)).toBeLessThan(0.03);
  });

  it('breaks arrival ties by source order', () => {
    const rs = drain(
      open({
        requests: 10,
        sources: [
          { class: 'first', dataset: 'own.yaml', rate: 1, arrival: 'constant' },
          { class: 'second', dataset: 'own.yaml', rate: 1, arrival: 'constant' },
        ],
      }),
    );
    expect(rs.map((r) => r.workloadClass).slice(0, 4)).toEqual(['first', 'second', 'first', 'second']);
    expect(rs.map((r) => r.arrival).slice(0, 4)).toEqual([0, 0, 1, 1]);
  });

  it('is deterministic per seed', () => {
    const cfg = {
      requests: 500,
      sources: [
        { class: 's', dataset: 'sharegpt', rate: 3 },
        { class: 'b', dataset: 'bird', rate: 2, arrival: { process: 'gamma' as const, cv: 3 } },
      ],
    };
    const key = (rs: RequestSpec[]) => JSON.stringify(rs);
    expect(key(drain(open(cfg, 42)))).toBe(key(drain(open(cfg, 42))));
    expect(key(drain(open(cfg, 42)))).not.toBe(key(drain(open(cfg, 43))));
  });

  it('stops at whichever of duration and requests comes first', () => {
    const src = [{ class: 'a', dataset: 'own.yaml', rate: 10, arrival: 'constant' }];
    expect(drain(open({ duration: 5, sources: src }))).toHaveLength(50);
    expect(drain(open({ duration: 5, requests: 20, sources: src }))).toHaveLength(20);
    expect(drain(open({ duration: 1, requests: 20, sources: src }))).toHaveLength(10);
  });

  it('replays trace timestamps with a speed-up and namespaced prefix hashes', () => {
    const rs = drain(open({ sources: [{ class: 'mc', trace: { format: 'mooncake', path: 'mc.jsonl', speedup: 2 } }] }));
    expect(rs.map((r) => r.arrival)).toEqual([0, 0.5, 1, 1, 2.5]);
    expect(rs.map((r) => r.outputTokens)).toEqual([1, 1, 2, 3, 4]);
    expect(rs.every((r) => r.workloadClass === 'mc' && r.hashBlockTokens === 512)).toBe(true);
    // Two full blocks: shared block 0, then a unique one; the partial third is dropped.
    expect(rs.every((r) => r.prefixHashes.length === 2 && r.prefixHashes[0] === rs[0].prefixHashes[0])).toBe(true);
    expect(new Set(rs.map((r) => r.prefixHashes[1])).size).toBe(5);
    expect(rs[0].prefixHashes[0]).toBeGreaterThan(2 ** 32); // moved out of the raw id range
    checkStream(rs);
  });

  it('combines trace lengths with a synthetic arrival process, looping if asked', () => {
    const once = drain(open({ duration: 100, sources: [{ class: 'v', trace: { format: 'vidur', path: 'lengths.csv' }, rate: 2 }] }));
    expect(once.map((r) => r.promptTokens)).toEqual([11, 22, 33]);
    expect(once[0].arrival).toBeGreaterThan(0);
    const looped = drain(
      open({ requests: 7, sources: [{ class: 'v', trace: { format: 'vidur', path: 'lengths.csv', loop: true }, rate: 2 }] }),
    );
    expect(looped.map((r) => r.promptTokens)).toEqual([11, 22, 33, 11, 22, 33, 11]);
  });

  it('merges a trace with a synthetic source and applies caps', () => {
    const rs = drain(
      open({
        duration: 3,
        sources: [
          { class: 'mc', trace: { format: 'mooncake', path: 'mc.jsonl' }, maxPromptTokens: 600 },
          { class: 'own', dataset: 'own.yaml', rate: 1, arrival: 'constant', maxOutputTokens: 3 },
        ],
      }),
    );
    expect(rs.map((r) => `${r.workloadClass}@${r.arrival}`)).toEqual(['mc@0', 'own@0', 'mc@1', 'own@1', 'mc@2', 'mc@2', 'own@2']);
    expect(rs.filter((r) => r.workloadClass === 'mc').every((r) => r.promptTokens === 600 && r.prefixHashes.length === 1)).toBe(true);
    expect(rs.filter((r) => r.workloadClass === 'own').every((r) => r.outputTokens === 3)).toBe(true);
  });

  it('reports bad references with the file and field', () => {
    expect(inputError(() => open({ duration: 1, sources: [{ class: 'a', dataset: 'nosuch', rate: 1 }] }))).toMatchObject({
      file: 'exp.yaml',
      where: 'workload.sources[0].dataset',
      message: expect.stringMatching(/unknown dataset "nosuch".*sharegpt/),
    });
    expect(inputError(() => open({ duration: 1, sources: [{ class: 'a', dataset: 'missing.yaml', rate: 1 }] })).where).toBe(
      'workload.sources[0].dataset',
    );
    expect(inputError(() => open({ sources: [{ class: 'a', trace: { format: 'vidur', path: 'lengths.csv' } }] }))).toMatchObject({
      where: 'workload.sources[0].rate',
      message: expect.stringMatching(/no arrival times/),
    });
    expect(inputError(() => open({ sources: [{ class: 'a', trace: { format: 'azure', path: 'nope.csv' } }] })).message).toMatch(
      /not found/,
    );
    tmp.write('empty.jsonl', '\n');
    expect(inputError(() => open({ sources: [{ class: 'a', trace: { format: 'mooncake', path: 'empty.jsonl' } }] })).message).toBe(
      'trace has no requests',
    );
  });

  it('filters a dataset source by length, and says when the filter keeps nothing', () => {
    const rs = drain(
      open({
        requests: 50,
        sources: [{ class: 's', dataset: 'sharegpt', rate: 10, filter: { maxPromptTokens: 1024, maxTotalTokens: 2048 } }],
      }),
    );
    expect(rs.length).toBe(50);
    expect(rs.every((r) => r.promptTokens <= 1024 && r.promptTokens + r.outputTokens <= 2048)).toBe(true);
    expect(inputError(() => open({ requests: 5, sources: [{ class: 'a', dataset: 'own.yaml', rate: 1, filter: { maxPromptTokens: 99 } }] }))).toMatchObject({
      file: 'exp.yaml',
      where: 'workload.sources[0].filter',
      message: expect.stringMatching(/^the filter keeps no request of dataset "own.yaml" \(at least 0.1%/),
    });
    // A share that is not zero but would make drawing dominate the run: the shipped sharegpt's
    // prompts over 7800 and outputs over 1010 tokens together, about 0.0016%.
    expect(
      inputError(() =>
        open({ requests: 5, sources: [{ class: 'a', dataset: 'sharegpt', rate: 1, filter: { minPromptTokens: 7800, minOutputTokens: 1010 } }] }),
      ).message,
    ).toMatch(/keeps only 0.0016% of the requests/);
  });

  it('skips trace records outside a filter, keeping the others at their own times', () => {
    const rs = drain(open({ sources: [{ class: 'mc', trace: { format: 'mooncake', path: 'mc.jsonl' }, filter: { minOutputTokens: 2 } }] }));
    expect(rs.map((r) => [r.arrival, r.outputTokens])).toEqual([
      [2, 2],
      [2, 3],
      [5, 4],
    ]);
    const looped = drain(
      open({
        requests: 5,
        sources: [{ class: 'v', trace: { format: 'vidur', path: 'lengths.csv', loop: true }, rate: 2, filter: { maxPromptTokens: 22 } }],
      }),
    );
    expect(looped.map((r) => r.promptTokens)).toEqual([11, 22, 11, 22, 11]);
    expect(
      inputError(() => open({ sources: [{ class: 'v', trace: { format: 'vidur', path: 'lengths.csv', loop: true }, rate: 2, filter: { minPromptTokens: 99 } }], requests: 3 })),
    ).toMatchObject({ where: 'workload.sources[0].filter', message: 'the filter keeps no record of trace "lengths.csv"' });
  });

  it('generates requests lazily: a billion-request workload opens at once', () => {
    // Memory per run is measured by `npm run bench`; here we check nothing is generated up front.
    const stream = open({ requests: 1_000_000_000, sources: [{ class: 'b', dataset: 'bird', rate: 100 }] });
    let n = 0;
    for (let r = stream.next(); r !== undefined && n < 10_000; r = stream.next()) n++;
    expect(n).toBe(10_000);
  });
});
