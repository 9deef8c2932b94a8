import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PointFailure, PointRecord } from '../../src/experiment/point-record.js';
import type { Manifest, StoredResults } from '../../src/experiment/results-dir.js';
import type { PointResult } from '../../src/experiment/run-point.js';

const dist = (p50: number, p99: number) => ({ mean: p50 * 1.1, p50, p90: (p50 + p99) / 2, p95: p99 * 0.9, p99 });

export interface FakeOptions {
  id: string;
  point?: Record<string, unknown>;
  policy?: string;
  fleet?: PointResult['fleet'];
  ttft?: [number, number];
  tpot?: [number, number];
  attainment?: number | null;
  throughput?: number;
  gpuTpotP99?: Record<string, number>;
}

/** A PointResult with made-up but consistent numbers, for report and compare tests. */
export function fakeResult(o: FakeOptions): PointResult {
  const ttft = o.ttft ?? [50, 400];
  const tpot = o.tpot ?? [10, 30];
  const fleet = o.fleet ?? [{ gpu: 'H100-SXM', count: 2, tp: 1, role: 'unified', costPerHour: 3.78 }];
  const throughput = o.throughput ?? 10;
  const attainment = o.attainment === undefined ? 0.95 : o.attainment;
  const cdf = (lo: number, hi: number) => Array.from({ length: 101 }, (_, i) => Math.round((lo + (hi - lo) * (i / 100) ** 3) * 1000) / 1000);
  const gpus = o.gpuTpotP99 ?? Object.fromEntries(fleet.map((f) => [f.gpu, tpot[1]]));
  return {
    name: 'exp',
    id: o.id,
    seed: 1,
    point: o.point ?? {},
    policy: o.policy ?? 'least-request',
    mode: 'push',
    fleet,
    cost_per_hour: fleet.reduce((a, f) => a + f.count * f.tp * f.costPerHour, 0),
    completed: 1000,
    rejected: 0,
    metrics: {
      ttft_ms: dist(...ttft),
      tpot_ms: dist(...tpot),
      e2e_ms: dist(ttft[0] + 100 * tpot[0], ttft[1] + 100 * tpot[1]),
      queue_ms: dist(5, 50),
      router_queue_ms: dist(0, 0),
      instance_queue_ms: dist(5, 50),
      throughput_rps: throughput,
      output_tokens_per_s: throughput * 200,
      slo_attainment: attainment,
      goodput_rps: attainment === null ? null : throughput * attainment,
      preemptions: 0,
      prefix_cache_hit_rate: 0.1,
    },
    summary: {
      rejections: {},
      duration_s: 100,
      slo: null,
      classes: {},
      instances: [],
      gpu_types: Object.fromEntries(
        Object.entries(gpus).map(([g, p99]) => [g, { served_by_class: { chat: 500 }, tpot_ms: dist(tpot[0], p99), ttft_ms: dist(...ttft) }]),
      ),
      cdf: { ttft_ms: cdf(ttft[0] / 5, ttft[1] * 1.5), tpot_ms: cdf(tpot[0] / 2, tpot[1] * 1.2) },
    },
    warnings: [],
  };
}

export function fakeFailure(id: string, point: Record<string, unknown> = {}): PointFailure {
  return { name: 'exp', id, seed: 1, point, error: 'routing policy "x" failed in select for request 3: boom' };
}

/** Results as `readResults` would return them. */
export function stored(records: (PointRecord | undefined)[], name = 'exp', dir = `/results/${name}`): StoredResults {
  const manifest: Manifest = { name, seed: 1, points: records.map((r, i) => ({ id: r?.id ?? `missing-${i}`, point: r?.point ?? {} })) };
  return { dir, manifest, records };
}

/** Writes records as a results directory (experiment.json + points/), as `sim run` leaves it. */
export function writeStored(dir: string, s: StoredResults): string {
  mkdirSync(join(dir, 'points'), { recursive: true });
  writeFileSync(join(dir, 'experiment.json'), JSON.stringify(s.manifest, null, 2) + '\n');
  for (const r of s.records) if (r) writeFileSync(join(dir, 'points', `${r.id}.json`), JSON.stringify(r, null, 2) + '\n');
  return dir;
}
