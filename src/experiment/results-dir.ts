import { mkdirSync, renameSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import type { PointResult } from './run-point.js';

/** Writes a file atomically: a reader sees the old file or the whole new one, never a part. */
export function writeFileAtomic(path: string, content: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

/**
 * The results directory of an experiment: one JSON file per point as it finishes, and
 * summary.json / summary.csv once every point is done. A run that stops early leaves the points
 * it finished and no summary, so nothing partial looks complete.
 */
export class ResultsDir {
  constructor(readonly dir: string) {
    mkdirSync(join(dir, 'points'), { recursive: true });
    rmSync(join(dir, 'summary.json'), { force: true });
    rmSync(join(dir, 'summary.csv'), { force: true });
  }

  pointPath(id: string): string {
    return join(this.dir, 'points', `${id}.json`);
  }

  writePoint(result: PointResult): void {
    writeFileAtomic(this.pointPath(result.id), JSON.stringify(result, null, 2) + '\n');
  }

  /** A per-request CSV for one point, written as requests end and renamed into place when done. */
  openRequestLog(id: string, single: boolean): RequestLog {
    const path = single ? join(this.dir, 'requests.csv') : join(this.dir, 'points', `${id}.requests.csv`);
    return new RequestLog(path);
  }

  writeSummary(name: string, seed: number, results: readonly PointResult[]): void {
    writeFileAtomic(join(this.dir, 'summary.csv'), summaryCsv(results));
    writeFileAtomic(join(this.dir, 'summary.json'), JSON.stringify({ name, seed, runs: results }, null, 2) + '\n');
  }
}

/** Buffered CSV writer: rows are appended to a temporary file and the file is renamed on close. */
export class RequestLog {
  private readonly tmp: string;
  private readonly fd: number;
  private buffer: string[] = [];
  private size = 0;

  constructor(private readonly path: string) {
    this.tmp = `${path}.partial`;
    this.fd = openSync(this.tmp, 'w');
    this.write(
      'id,class,arrival_s,instance,prompt_tokens,output_tokens,cached_tokens,ttft_ms,tpot_ms,e2e_ms,queue_ms,preemptions,rejection\n',
    );
  }

  write(line: string): void {
    this.buffer.push(line);
    this.size += line.length;
    if (this.size > 1 << 16) this.flush();
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
    renameSync(this.tmp, this.path);
  }

  private flush(): void {
    if (this.buffer.length > 0) writeSync(this.fd, this.buffer.join(''));
    this.buffer = [];
    this.size = 0;
  }
}

const CSV_METRICS: [string, (r: PointResult) => number | null][] = [
  ['completed', (r) => r.completed],
  ['rejected', (r) => r.rejected],
  ['ttft_p50_ms', (r) => r.metrics.ttft_ms.p50],
  ['ttft_p99_ms', (r) => r.metrics.ttft_ms.p99],
  ['tpot_p50_ms', (r) => r.metrics.tpot_ms.p50],
  ['tpot_p99_ms', (r) => r.metrics.tpot_ms.p99],
  ['e2e_p50_ms', (r) => r.metrics.e2e_ms.p50],
  ['e2e_p99_ms', (r) => r.metrics.e2e_ms.p99],
  ['throughput_rps', (r) => r.metrics.throughput_rps],
  ['output_tokens_per_s', (r) => r.metrics.output_tokens_per_s],
  ['slo_attainment', (r) => r.metrics.slo_attainment],
  ['goodput_rps', (r) => r.metrics.goodput_rps],
  ['cost_per_hour', (r) => r.cost_per_hour],
];

/** One row per point: its id, the swept values as columns, then the headline metrics. */
export function summaryCsv(results: readonly PointResult[]): string {
  const swept = [...new Set(results.flatMap((r) => Object.keys(r.point)))];
  const header = ['id', ...swept, ...CSV_METRICS.map(([h]) => h)];
  const rows = results.map((r) => [
    r.id,
    ...swept.map((k) => csvCell(r.point[k])),
    ...CSV_METRICS.map(([, f]) => csvCell(f(r))),
  ]);
  return [header, ...rows].map((row) => row.join(',')).join('\n') + '\n';
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
