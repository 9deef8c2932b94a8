import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runExperimentFile } from '../../src/experiment/index.js';
import { InputError } from '../../src/input-error.js';
import { cleanup, hasSummary, listFiles, SMALL, tempDir, traceExperiment, TRACE_HEADER, write } from './fixtures.js';

afterAll(cleanup);

describe('running an experiment', () => {
  it('same experiment + seed => byte-identical results', async () => {
    const dir = tempDir();
    const file = write(dir, 'small.yaml', SMALL);
    const [out1, out2] = [tempDir(), tempDir()];
    const a = await runExperimentFile(file, { resultsRoot: out1, workers: 1 });
    const b = await runExperimentFile(file, { resultsRoot: out2, workers: 1 });
    const files = listFiles(a.dir);
    expect(files).toContain('summary.json');
    expect(files).toContain('summary.csv');
    expect(listFiles(b.dir)).toEqual(files);
    for (const f of files) {
      expect(readFileSync(join(b.dir, f), 'utf8'), f).toBe(readFileSync(join(a.dir, f), 'utf8'));
    }
    const summary = JSON.parse(readFileSync(join(a.dir, 'summary.json'), 'utf8'));
    expect(summary.name).toBe('small');
    expect(summary.seed).toBe(3);
    expect(summary.runs).toHaveLength(1);
    expect(summary.runs[0].completed + summary.runs[0].rejected).toBe(30);
  });

  it('a different seed gives different results', async () => {
    const dir = tempDir();
    const a = await runExperimentFile(write(dir, 'a.yaml', SMALL), { resultsRoot: tempDir(), workers: 1 });
    const b = await runExperimentFile(write(dir, 'b.yaml', SMALL.replace('seed: 3', 'seed: 4')), { resultsRoot: tempDir(), workers: 1 });
    expect(b.results[0].metrics.e2e_ms.mean).not.toBe(a.results[0].metrics.e2e_ms.mean);
  });

  it('rejects requests longer than max_model_len or the KV capacity with a reason, and goes on', async () => {
    const dir = tempDir();
    // Llama-3.1-8B on one A10 holds ~28k tokens of KV; maxModelLen is set to 100k.
    write(
      dir,
      'trace.csv',
      TRACE_HEADER + '0,100,20\n0.01,60000,10\n0.02,150000,5\n0.03,200,20\n0.04,80,1\n',
    );
    const file = write(dir, 'e.yaml', traceExperiment('trace.csv').replace('count: 1', 'count: 1\n    engine: {maxModelLen: 100000}'));
    const run = await runExperimentFile(file, { resultsRoot: tempDir(), workers: 1 });
    const r = run.results[0];
    expect(r.completed).toBe(3);
    expect(r.rejected).toBe(2);
    const reasons = Object.keys(r.summary.rejections);
    expect(reasons).toHaveLength(2);
    expect(reasons.some((x) => /60010 tokens exceeds the KV capacity/.test(x))).toBe(true);
    expect(reasons.some((x) => /150005 tokens exceeds max_model_len 100000/.test(x))).toBe(true);
    expect(Object.values(r.summary.rejections)).toEqual([1, 1]);
    // The summary is complete and counts the rejected requests.
    const summary = JSON.parse(readFileSync(join(run.dir, 'summary.json'), 'utf8'));
    expect(summary.runs[0].rejected).toBe(2);
    // Tokens of completed requests only: 20 + 20 + 1.
    expect(r.metrics.output_tokens_per_s * r.summary.duration_s).toBeCloseTo(41, 6);
  });

  it('a trace line that is bad further down is bad input: InputError naming the line, no summary written', async () => {
    const dir = tempDir();
    write(dir, 'trace.csv', TRACE_HEADER + '0,100,20\n0.01,100,20\n0.02,1x0,20\n');
    const file = write(dir, 'e.yaml', traceExperiment('trace.csv'));
    const out = tempDir();
    const err = await runExperimentFile(file, { resultsRoot: out, workers: 1 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).format()).toMatch(/trace\.csv: line 4: num_prefill_tokens/);
    expect(hasSummary(out)).toBe(false);
  });
});

describe('results do not depend on where the files live', () => {
  it('a profile warning names the file as the experiment does, so two copies give the same bytes', async () => {
    const shipped = readFileSync(new URL('../../profiles/aibrix/qwen2.5-7b/H800.json', import.meta.url), 'utf8');
    const experiment = SMALL.replace('model: Llama-3.1-8B', 'model: Qwen2.5-7B')
      .replace('gpu: H100-SXM', 'gpu: H800')
      .replace('policy: least-request', 'policy: slo\n  profiles: prof');
    const summaries = [tempDir(), tempDir()].map(async (dir) => {
      mkdirSync(join(dir, 'prof'));
      write(join(dir, 'prof'), 'H800.json', shipped);
      const run = await runExperimentFile(write(dir, 'p.yaml', experiment), { resultsRoot: join(dir, 'out'), workers: 1 });
      return { dir, text: readFileSync(join(run.dir, 'summary.json'), 'utf8') };
    });
    const [a, b] = await Promise.all(summaries);
    const warnings: string[] = JSON.parse(a.text).runs[0].warnings;
    // The shipped H800 profile has zero-throughput buckets: one warning names it.
    expect(warnings.some((w) => w.startsWith(`${join('prof', 'H800.json')}: profile "H800"`))).toBe(true);
    expect(a.text).not.toContain(a.dir);
    expect(b.text).toBe(a.text);
  });
});
