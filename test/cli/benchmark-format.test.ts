/**
 * The field's names: `sim run --format vllm` prints vLLM benchmark_serving's keys, and `sim
 * compare` holds a simulated run against a measured benchmark_serving or bench_serving result.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, SMALL, tempDir, write } from '../experiment/fixtures.js';
import { lines, sim } from './harness.js';

afterAll(cleanup);

let out: string;
let sample: Record<string, number>;

beforeAll(async () => {
  const dir = tempDir();
  out = tempDir();
  const r = await sim('run', write(dir, 'small.yaml', SMALL), '--format', 'vllm', '--out', out, '--no-report');
  expect(r.code).toBe(0);
  const objs = lines(r.stdout).map((l) => JSON.parse(l));
  expect(objs).toHaveLength(1);
  sample = objs[0];
});

describe('sim run --format vllm', () => {
  it('writes each point with benchmark_serving keys, the same numbers as summary.json', async () => {
    for (const k of ['duration', 'completed', 'total_input_tokens', 'total_output_tokens', 'request_throughput', 'request_goodput', 'output_throughput', 'total_token_throughput']) {
      expect(typeof sample[k], k).toBe('number');
    }
    for (const m of ['ttft', 'tpot', 'itl', 'e2el']) for (const s of ['mean', 'median', 'std', 'p90', 'p95', 'p99']) expect(typeof sample[`${s}_${m}_ms`], `${s}_${m}_ms`).toBe('number');
    const { readFileSync } = await import('node:fs');
    const summary = JSON.parse(readFileSync(join(out, 'small', 'summary.json'), 'utf8'));
    const metrics = summary.runs[0].metrics;
    expect(sample.median_ttft_ms).toBe(metrics.ttft_ms.median);
    expect(sample.p99_e2el_ms).toBe(metrics.e2e_ms.p99);
    expect(sample.mean_itl_ms).toBe(metrics.itl_ms.mean);
    expect(sample.output_throughput).toBe(metrics.output_tokens_per_s);
    expect(sample.completed).toBe(30);
    expect(sample.total_token_throughput).toBeCloseTo((sample.total_input_tokens + sample.total_output_tokens) / sample.duration, 9);
    expect(sample.mean_itl_ms).toBeGreaterThan(0);
  });
});

describe('sim compare against a measured benchmark', () => {
  it('a benchmark_serving result: only its metrics are checked; a slower simulation is worse', async () => {
    const dir = tempDir();
    // A measured run whose TTFT is much lower, TPOT the same, throughput the same.
    const measured = {
      date: '20250101-000000',
      backend: 'vllm',
      completed: 30,
      request_throughput: sample.request_throughput,
      'request_goodput:': null,
      output_throughput: sample.output_throughput,
      total_token_throughput: sample.total_token_throughput,
      mean_ttft_ms: sample.mean_ttft_ms / 2,
      median_ttft_ms: sample.median_ttft_ms / 2,
      std_ttft_ms: 1,
      p99_ttft_ms: sample.p99_ttft_ms / 2,
      mean_tpot_ms: sample.mean_tpot_ms,
      median_tpot_ms: sample.median_tpot_ms,
      std_tpot_ms: 1,
      p99_tpot_ms: sample.p99_tpot_ms,
    };
    const file = write(dir, 'vllm-bench.json', JSON.stringify(measured));
    const r = await sim('compare', file, join(out, 'small'));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ttft_median_ms\s.*worse/);
    expect(r.stdout).toMatch(/tpot_p99_ms\s.*ok/);
    expect(r.stdout).toMatch(/throughput_rps\s.*ok/);
    // Not in the measured file: not checked.
    expect(r.stdout).not.toMatch(/slo_attainment/);
    // Within a 200% tolerance nothing is worse.
    expect((await sim('compare', file, join(out, 'small'), '--tolerance', '200%')).code).toBe(0);
  });

  it('SGLang bench_serving JSON lines, with its own key names', async () => {
    const dir = tempDir();
    const line = { backend: 'sglang', completed: 30, request_throughput: sample.request_throughput, median_e2e_latency_ms: sample.median_e2el_ms, p99_itl_ms: sample.p99_itl_ms, total_throughput: sample.total_token_throughput };
    const file = write(dir, 'sglang.jsonl', JSON.stringify(line) + '\n');
    const r = await sim('compare', file, join(out, 'small'), '--metrics', 'e2e_median_ms,itl_p99_ms,total_tokens_per_s');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/e2e_median_ms/);
    expect(r.stdout).toMatch(/itl_p99_ms/);
    expect(r.stdout).toMatch(/total_tokens_per_s/);
  });

  it('a file without benchmark keys: one line naming it, exit 2', async () => {
    const dir = tempDir();
    const file = write(dir, 'junk.json', '{"hello": 1}');
    const r = await sim('compare', file, join(out, 'small'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/junk\.json.*no benchmark_serving or bench_serving metric keys/);
  });
});
