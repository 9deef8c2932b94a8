import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../input-error.js';
import { isFailure, type PointFailure, type PointRecord } from './point-record.js';
import { classMetrics, csvMetrics } from '../metrics/index.js';
import { csvField } from './csv-field.js';
import { PARTIAL_SUFFIX } from './request-log.js';
import type { PointResult } from './run-point.js';
import type { PointValues } from './sweep.js';

/** Writes a file atomically: a reader sees the old file or the whole new one, never a part. */
export function writeFileAtomic(path: string, content: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

/** experiment.json: which experiment a directory holds and every point it has, in sweep order. */
export interface Manifest {
  name: string;
  seed: number;
  description?: string;
  points: { id: string; point: PointValues }[];
}

/** A results directory as read back: the manifest and, per point in order, its record if there is one. */
export interface StoredResults {
  dir: string;
  manifest: Manifest;
  records: (PointRecord | undefined)[];
}

/**
 * The results directory of an experiment: experiment.json, one points/<id>.json per point as it
 * finishes (a result or a failure), and summary.json / summary.csv, written only once every
 * point has a record, so a run that stops early leaves its finished points and nothing that
 * looks complete.
 */
export class ResultsDir {
  constructor(readonly dir: string) {}

  get pointsDir(): string {
    return join(this.dir, 'points');
  }

  pointPath(id: string): string {
    return join(this.pointsDir, `${id}.json`);
  }

  /** Where a point's per-request CSV goes: requests.csv for a one-point experiment. */
  requestsPath(id: string, single: boolean): string {
    return single ? join(this.dir, 'requests.csv') : join(this.pointsDir, `${id}.requests.csv`);
  }

  /**
   * Prepares the directory for a run: writes the manifest, removes the summary (it is about to be
   * out of date) and leftovers of interrupted writes, and drops the records of `rerun` points.
   */
  begin(manifest: Manifest, rerun: readonly string[] | 'all'): void {
    mkdirSync(this.pointsDir, { recursive: true });
    rmSync(join(this.dir, 'summary.json'), { force: true });
    rmSync(join(this.dir, 'summary.csv'), { force: true });
    if (rerun === 'all') {
      for (const f of readdirSync(this.pointsDir)) rmSync(join(this.pointsDir, f), { force: true });
    } else {
      for (const id of rerun) {
        rmSync(this.pointPath(id), { force: true });
        rmSync(join(this.pointsDir, `${id}.requests.csv`), { force: true });
      }
    }
    this.removeLeftovers(rerun === 'all' ? [] : rerun);
    writeFileAtomic(join(this.dir, 'experiment.json'), JSON.stringify(manifest, null, 2) + '\n');
  }

  /**
   * Temporary files of writes that never finished (a killed process leaves them): partial
   * request logs of `ids`, and `.tmp-<pid>` files of processes that are gone or of this one.
   * Shards sharing the directory keep theirs.
   */
  removeLeftovers(ids: readonly string[]): void {
    const own = new Set(ids.flatMap((id) => [`${id}.requests.csv${PARTIAL_SUFFIX}`, `requests.csv${PARTIAL_SUFFIX}`]));
    for (const dir of [this.dir, this.pointsDir]) {
      if (!existsSync(dir)) continue;
      for (const f of readdirSync(dir)) {
        const tmp = /\.tmp-(\d+)$/.exec(f);
        if (own.has(f) || (tmp && !alive(Number(tmp[1])))) rmSync(join(dir, f), { force: true });
      }
    }
  }

  writePoint(record: PointRecord): void {
    writeFileAtomic(this.pointPath(record.id), JSON.stringify(record, null, 2) + '\n');
  }

  /** A point's record, or undefined when it has none (or an unreadable one, which a rerun replaces). */
  readPoint(id: string): PointRecord | undefined {
    try {
      const r = JSON.parse(readFileSync(this.pointPath(id), 'utf8')) as PointRecord;
      return r && typeof r === 'object' && r.id === id ? r : undefined;
    } catch {
      return undefined;
    }
  }

  /** Writes summary.csv and summary.json from the records, in manifest order. */
  writeSummary(manifest: Manifest, records: readonly PointRecord[]): void {
    const runs = records.filter((r): r is PointResult => !isFailure(r));
    const failed = records.filter(isFailure);
    writeFileAtomic(join(this.dir, 'summary.csv'), summaryCsv(records));
    const json = { name: manifest.name, seed: manifest.seed, runs, ...(failed.length > 0 && { failed }) };
    writeFileAtomic(join(this.dir, 'summary.json'), JSON.stringify(json, null, 2) + '\n');
  }

  /**
   * Writes the summary if every point of the manifest has a record; returns whether it did.
   * Records of points that ran elsewhere (other shards sharing the directory) are read from disk.
   */
  summarizeIfComplete(manifest: Manifest, known: ReadonlyMap<string, PointRecord>): boolean {
    const records: PointRecord[] = [];
    for (const { id } of manifest.points) {
      const r = known.get(id) ?? this.readPoint(id);
      if (!r) return false;
      records.push(r);
    }
    this.writeSummary(manifest, records);
    return true;
  }
}

/** Reads a results directory (made by `sim run` or `sim merge`); InputError when it is not one. */
export function readResults(dir: string): StoredResults {
  const store = new ResultsDir(dir);
  const manifestPath = join(dir, 'experiment.json');
  let manifest: Manifest;
  if (existsSync(manifestPath)) {
    manifest = parseJson(manifestPath) as Manifest;
    if (typeof manifest?.name !== 'string' || !Array.isArray(manifest.points)) {
      throw new InputError('not an experiment manifest (expected name and points)', manifestPath);
    }
  } else if (existsSync(join(dir, 'summary.json'))) {
    // Results written before experiment.json existed: the summary lists every point.
    const s = parseJson(join(dir, 'summary.json')) as { name: string; seed: number; runs: PointResult[] };
    manifest = { name: s.name, seed: s.seed, points: s.runs.map((r) => ({ id: r.id, point: r.point })) };
    return { dir, manifest, records: s.runs };
  } else {
    throw new InputError('not a results directory (no experiment.json)', dir);
  }
  return { dir, manifest, records: manifest.points.map((p) => store.readPoint(p.id)) };
}

/** Whether a process is running (this one counts as gone: its own leftovers are stale). */
function alive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InputError(`cannot read results (${(err as Error).message.split('\n')[0]})`, path);
  }
}

/** The metrics columns of summary.csv, by name, from the metric catalog (`sim compare` uses the same names). */
export const SUMMARY_METRICS: [string, (r: PointResult) => number | null][] = csvMetrics().map((m) => [m.name, (r) => m.get(r)]);

/**
 * One row per point: its id, the swept values as columns, then the headline metrics; an error
 * column is added when a point failed (its metrics are left empty).
 */
export function summaryCsv(records: readonly PointRecord[]): string {
  const swept = [...new Set(records.flatMap((r) => Object.keys(r.point)))];
  const anyFailed = records.some(isFailure);
  // Per-class columns once there is more than one class.
  const classes = [...new Set(records.flatMap((r) => (isFailure(r) ? [] : Object.keys(r.summary.classes ?? {}))))];
  const metrics: [string, (r: PointResult) => number | null][] = [
    ...SUMMARY_METRICS,
    ...(classes.length > 1 ? classMetrics(classes).map((m): [string, (r: PointResult) => number | null] => [m.name, (r) => m.get(r)]) : []),
  ];
  const header = ['id', ...swept, ...metrics.map(([h]) => csvField(h)), ...(anyFailed ? ['error'] : [])];
  const rows = records.map((r) => [
    r.id,
    ...swept.map((k) => csvCell(r.point[k])),
    ...metrics.map(([, f]) => (isFailure(r) ? '' : csvCell(f(r)))),
    ...(anyFailed ? [isFailure(r) ? csvCell(r.error) : ''] : []),
  ]);
  return [header, ...rows].map((row) => row.join(',')).join('\n') + '\n';
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return '';
  return csvField(typeof v === 'object' ? JSON.stringify(v) : String(v));
}

export type { PointFailure, PointRecord };

/**
 * The experiments' results under `path`, by name: `path` itself when it is a results directory,
 * else its subdirectories that are (a root made by `sim run --out`). InputError when there are none.
 */
export function findResultDirs(path: string): Map<string, string> {
  const isResults = (d: string) => existsSync(join(d, 'experiment.json')) || existsSync(join(d, 'summary.json'));
  if (isResults(path)) return new Map([[readResults(path).manifest.name, path]]);
  const found = new Map<string, string>();
  if (existsSync(path)) {
    // Sorted, so output never depends on the file system's listing order.
    for (const e of readdirSync(path, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const d = join(path, e.name);
      if (!e.isDirectory() || !isResults(d)) continue;
      const name = readResults(d).manifest.name;
      const other = found.get(name);
      if (other) throw new InputError(`two results directories hold experiment "${name}": ${other} and ${d}`, path);
      found.set(name, d);
    }
  }
  if (found.size === 0) throw new InputError('not a results directory (no experiment.json here or in its subdirectories)', path);
  return found;
}
