import { constants, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileSystemError, InputError } from '../input-error.js';
import { isFailure, type PointFailure, type PointRecord } from './point-record.js';
import { processAlive } from './process-alive.js';
import { classMetrics, csvMetrics } from '../metrics/index.js';
import { csvField } from './csv-field.js';
import { PARTIAL_SUFFIX } from './request-log.js';
import { isLockFile, withPrepareLock } from './results-lock.js';
import type { PointResult } from './run-point.js';
import { unsafeNameReason } from './safe-name.js';
import type { PointValues } from './sweep.js';
import { PLOT_NAMES } from '../report/plot-names.js';

/**
 * Writes a file atomically: a reader sees the old file or the whole new one, never a part. The
 * temporary file is created exclusively (a symlink planted in its place is not followed) and the
 * rename replaces a link at `path` rather than writing through it. A failure (disk full,
 * read-only file system) leaves the old file and no temporary one, and is one InputError line.
 */
export function writeFileAtomic(path: string, content: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    rmSync(tmp, { force: true });
    writeFileSync(tmp, content, { flag: 'wx' });
    renameSync(tmp, path);
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing more to clean
    }
    throw fileSystemError(err, path, 'write file');
  }
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

/** Files directly in a results directory that runs, merges and reports write. */
const TOP_FILES = new Set(['experiment.json', 'summary.json', 'summary.csv', 'report.html', 'requests.csv']);

/**
 * Where a new run of the whole experiment keeps the finished run it replaces until it has
 * finished itself (`ResultsDir.begin`, `dropPrevious`): a second run never loses the first to an
 * interruption or a failure.
 */
export const PREVIOUS_DIR = 'previous';

/**
 * The results directory of an experiment: experiment.json, one points/<id>.json per point as it
 * finishes (a result or a failure), and summary.json / summary.csv, written only once every
 * point has a record, so a run that stops early leaves its finished points and nothing that
 * looks complete.
 *
 * Confinement: every path it touches is a fixed name or a manifest id (checked against the safe
 * file-name alphabet) inside `dir`; `dir` and `points/` must be real directories (a symlink is
 * refused, so a link cannot redirect writes or deletes elsewhere); a directory that holds files
 * but no manifest of ours is refused; and a run deletes only files named after the points of the
 * manifest it replaces or writes, never whatever else is there.
 */
export class ResultsDir {
  constructor(readonly dir: string) {}

  get pointsDir(): string {
    return join(this.dir, 'points');
  }

  pointPath(id: string): string {
    return join(this.pointsDir, `${checkedId(id)}.json`);
  }

  /** Where a point's per-request CSV goes: requests.csv for a one-point experiment. */
  requestsPath(id: string, single: boolean): string {
    return single ? join(this.dir, 'requests.csv') : join(this.pointsDir, `${checkedId(id)}.requests.csv`);
  }

  /**
   * Creates the directory if needed and checks it may be written: real directories,
   * and either empty or holding routesim results (a valid experiment.json). Returns the manifest
   * already there, if any. InputError (one line) for a file in the way, a read-only file system,
   * a symlink, or someone else's files.
   */
  open(): Manifest | undefined {
    ensureRealDir(this.dir, 'results directory');
    const entries = readdirSync(this.dir);
    const manifestPath = join(this.dir, 'experiment.json');
    let previous: Manifest | undefined;
    if (entries.includes('experiment.json')) previous = validateManifest(parseJson(manifestPath), manifestPath);
    else if (entries.includes('summary.json')) previous = readResults(this.dir).manifest; // written before manifests existed
    else {
      // A run killed before its manifest was written leaves an empty points/ and its lock.
      const emptyPoints = (f: string) => f === 'points' && lstatSync(this.pointsDir).isDirectory() && readdirSync(this.pointsDir).length === 0;
      const foreign = entries.filter((f) => !isLockFile(f) && !/\.tmp-\d+$/.test(f) && !emptyPoints(f) && f !== PREVIOUS_DIR);
      if (foreign.length > 0) {
        throw new InputError(
          `holds files that are not routesim results (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''}) and no experiment.json; ` +
            'results go only into a new or empty directory or one a run made: choose another outputs.dir or --out',
          this.dir,
        );
      }
    }
    if (entries.includes('points')) ensureRealDir(this.pointsDir, 'points directory');
    return previous;
  }

  /**
   * Prepares the directory for a run (after `open`): removes the summary and report (they are
   * about to be out of date) and leftovers of interrupted writes, drops the records of `rerun`
   * points ('all': every point of the previous and the new manifest), and writes the manifest.
   * A run of every point over a finished run (one with a summary) first moves that run's files
   * into previous/ (replacing an older one there), where they stay until this run finishes.
   */
  begin(manifest: Manifest, rerun: readonly string[] | 'all', previous?: Manifest): void {
    ensureRealDir(this.pointsDir, 'points directory');
    withPrepareLock(this.dir, () => this.prepare(manifest, rerun, previous));
  }

  private prepare(manifest: Manifest, rerun: readonly string[] | 'all', previous?: Manifest): void {
    // Another shard may have prepared the directory since `previous` was read: read it again.
    if (previous !== undefined && existsSync(join(this.dir, 'experiment.json'))) {
      previous = validateManifest(parseJson(join(this.dir, 'experiment.json')), join(this.dir, 'experiment.json'));
    }
    if (previous !== undefined && existsSync(join(this.dir, 'summary.json'))) {
      if (rerun === 'all') this.setAside(previous);
      // Part of a finished run is about to change (a shard or resume reruns some points, or
      // another version of the experiment takes the directory): a copy of it waits in previous/.
      else if (rerun.length > 0 || JSON.stringify(previous.points) !== JSON.stringify(manifest.points)) this.setAside(previous, 'copy');
    }
    this.remove(join(this.dir, 'summary.json'));
    this.remove(join(this.dir, 'summary.csv'));
    this.remove(join(this.dir, 'report.html'));
    // Points of the previous manifest that this one no longer has are not part of this run.
    const current = new Set(manifest.points.map((p) => p.id));
    const dropped = (previous?.points ?? []).map((p) => p.id).filter((id) => !current.has(id));
    const ids = rerun === 'all' ? [...new Set([...(previous?.points ?? []), ...manifest.points].map((p) => p.id))] : [...rerun, ...dropped];
    for (const id of ids) {
      this.remove(this.pointPath(id));
      this.remove(this.requestsPath(id, false));
    }
    this.removeLeftovers(rerun === 'all' ? [] : rerun, [...ids, ...manifest.points.map((p) => p.id)]);
    writeFileAtomic(join(this.dir, 'experiment.json'), JSON.stringify(manifest, null, 2) + '\n');
  }

  get previousDir(): string {
    return join(this.dir, PREVIOUS_DIR);
  }

  /**
   * Moves (or copies, when some of it stays in use) the finished run `manifest` describes into
   * previous/: its top files, points and the report's plots.
   */
  private setAside(manifest: Manifest, how: 'move' | 'copy' = 'move'): void {
    // A copy is taken when only part of the run changes (a resume of a rerun that failed): a run
    // already set aside is the one to keep then, not this one.
    if (how === 'copy' && existsSync(join(this.previousDir, 'experiment.json'))) return;
    this.dropPrevious(); // an older run set aside: this finished one replaces it
    const aside = new ResultsDir(this.previousDir);
    ensureRealDir(aside.dir, 'previous-run directory');
    ensureRealDir(aside.pointsDir, 'previous-run points directory');
    // All or nothing: when a file cannot be moved (or copied), what was already moved goes back
    // (copies are removed), so the finished run stays whole where it was and previous/ gains no
    // manifest. The manifest goes last: previous/ with an experiment.json is a complete run.
    const done: [from: string, to: string][] = [];
    const move = (from: string, to: string) => {
      if (!existsSync(from)) return;
      try {
        if (how === 'move') renameSync(from, to);
        else copyFileSync(from, to, constants.COPYFILE_EXCL);
        done.push([from, to]);
      } catch (err) {
        for (const [back, there] of done.reverse()) {
          try {
            if (how === 'move') renameSync(there, back);
            else rmSync(there, { force: true });
          } catch {
            // left where it is; the message below names both directories
          }
        }
        const failed = fileSystemError(err, from, `${how} the previous run's file to ${aside.dir}`);
        if (!(failed instanceof InputError)) throw failed;
        throw new InputError(`${failed.message}; nothing was changed, the finished run is still in ${this.dir}`, failed.file, failed.where);
      }
    };
    for (const { id } of manifest.points) {
      move(this.pointPath(id), aside.pointPath(id));
      move(this.requestsPath(id, false), aside.requestsPath(id, false));
    }
    const plots = join(this.dir, 'plots');
    if (existsSync(plots)) {
      // The report's plots only: a file of the user's in plots/ stays where they put it.
      ensureRealDir(plots, 'plots directory');
      ensureRealDir(join(aside.dir, 'plots'), 'previous-run plots directory');
      for (const name of PLOT_NAMES) move(join(plots, `${name}.svg`), join(aside.dir, 'plots', `${name}.svg`));
    }
    for (const f of [...TOP_FILES].filter((f) => f !== 'experiment.json')) move(join(this.dir, f), join(aside.dir, f));
    move(join(this.dir, 'experiment.json'), join(aside.dir, 'experiment.json'));
    if (how === 'move' && existsSync(plots)) {
      try {
        if (readdirSync(plots).length === 0) rmdirSync(plots);
      } catch {
        // it stays
      }
    }
  }

  /**
   * Deletes previous/ once the run that replaced it has finished: only the files a run writes
   * there (named after its manifest's points), then the directories if nothing else is left.
   */
  dropPrevious(): void {
    const aside = new ResultsDir(this.previousDir);
    if (!existsSync(aside.dir) || lstatSync(aside.dir).isSymbolicLink()) return;
    let manifest: Manifest | undefined;
    try {
      manifest = validateManifest(parseJson(join(aside.dir, 'experiment.json')), join(aside.dir, 'experiment.json'));
    } catch {
      manifest = undefined; // not a run we set aside: leave it
    }
    if (manifest) aside.removeOwn(manifest);
  }

  /** Removes this directory's run files of `manifest` (top files, points, the report's plots) and the emptied directories. */
  private removeOwn(manifest: Manifest): void {
    for (const f of TOP_FILES) this.remove(join(this.dir, f));
    for (const { id } of manifest.points) {
      this.remove(this.pointPath(id));
      this.remove(this.requestsPath(id, false));
    }
    const plots = join(this.dir, 'plots');
    if (existsSync(plots) && !lstatSync(plots).isSymbolicLink()) {
      // Only the plots a report draws: other files kept there are the user's.
      for (const name of PLOT_NAMES) this.remove(join(plots, `${name}.svg`));
    }
    for (const d of [plots, this.pointsDir, this.dir]) {
      try {
        if (existsSync(d) && readdirSync(d).length === 0) rmdirSync(d);
      } catch {
        // something of the user's is left in it: it stays
      }
    }
  }

  /**
   * Temporary files of writes that never finished (a killed process leaves them): partial
   * request logs of `ids`, and `.tmp-<pid>` files of our own files (`known` point ids) whose
   * process is gone or is this one. Shards sharing the directory keep theirs.
   */
  removeLeftovers(ids: readonly string[], known: readonly string[] = ids): void {
    const own = new Set(ids.flatMap((id) => [`${id}.requests.csv${PARTIAL_SUFFIX}`, `requests.csv${PARTIAL_SUFFIX}`]));
    const ours = new Set([...TOP_FILES, ...known.flatMap((id) => [`${id}.json`, `${id}.requests.csv`])]);
    for (const dir of [this.dir, this.pointsDir]) {
      if (!existsSync(dir) || lstatSync(dir).isSymbolicLink()) continue;
      for (const f of readdirSync(dir)) {
        const tmp = /^(.*)\.tmp-(\d+)$/.exec(f);
        const stale = tmp && ours.has(tmp[1]) && (Number(tmp[2]) === process.pid || !processAlive(Number(tmp[2])));
        if (own.has(f) || stale) this.remove(join(dir, f));
      }
    }
  }

  private remove(path: string): void {
    try {
      rmSync(path, { force: true });
    } catch (err) {
      throw fileSystemError(err, path, 'remove file');
    }
  }

  writePoint(record: PointRecord): void {
    writeFileAtomic(this.pointPath(record.id), JSON.stringify(record, null, 2) + '\n');
  }

  /**
   * A point's record, or undefined when it has none. An unreadable file or one that is not a
   * record of this point is undefined too (a rerun replaces it), or with `strict` an InputError.
   */
  readPoint(id: string, strict = false): PointRecord | undefined {
    const path = this.pointPath(id);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if (!strict || (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw fileSystemError(err, path, 'read point');
    }
    let r: unknown;
    try {
      r = JSON.parse(text);
    } catch (err) {
      if (!strict) return undefined;
      throw new InputError(`not JSON (${(err as Error).message.split('\n')[0]})`, path);
    }
    const why = recordProblem(r, id);
    if (why === undefined) return r as PointRecord;
    if (strict) throw new InputError(`not a point result of this experiment: ${why}`, path);
    return undefined;
  }

  /** Writes summary.csv and summary.json from the records, in manifest order. */
  writeSummary(manifest: Manifest, records: readonly PointRecord[]): void {
    const runs = records.filter((r): r is PointResult => !isFailure(r));
    const failed = records.filter(isFailure);
    const json = { name: manifest.name, seed: manifest.seed, runs, ...(failed.length > 0 && { failed }) };
    // Both or neither: a full disk must not leave one summary beside points it disagrees with.
    const csvPath = join(this.dir, 'summary.csv');
    writeFileAtomic(csvPath, summaryCsv(records));
    try {
      writeFileAtomic(join(this.dir, 'summary.json'), JSON.stringify(json, null, 2) + '\n');
    } catch (err) {
      this.remove(csvPath);
      throw err;
    }
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

function checkedId(id: string): string {
  const why = unsafeNameReason(id);
  if (why) throw new InputError(`point id "${printable(id)}" ${why}`);
  return id;
}

/**
 * Makes `dir` if it is missing and checks that it is a real directory. A symlink is refused (the
 * link could point anywhere); so is a file in the way. File-system errors are one line.
 */
export function ensureRealDir(dir: string, what: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (first) {
    // A recursive mkdir can report ENOENT for what is really EROFS or EACCES: create the first
    // missing level alone to learn the true cause.
    let err = first;
    let missing = resolve(dir);
    while (!existsSync(dirname(missing)) && dirname(missing) !== missing) missing = dirname(missing);
    try {
      mkdirSync(missing);
    } catch (again) {
      err = again;
    }
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new InputError(`cannot create the ${what}: a file is in the way`, dir);
    throw fileSystemError(err, dir, `create the ${what}`);
  }
  const st = lstatSync(dir);
  if (st.isSymbolicLink()) {
    let target = '?';
    try {
      target = realpathSync(dir);
    } catch {
      // a dangling link
    }
    throw new InputError(`the ${what} is a symbolic link (to ${target}); results are written only into real directories`, dir);
  }
  if (!st.isDirectory()) throw new InputError(`the ${what} is not a directory`, dir);
}

/**
 * Checks a manifest read from disk before anything trusts it: a safe name, a seed, and points
 * with safe, distinct ids (they become file names). InputError names the file and the entry.
 */
export function validateManifest(data: unknown, path: string): Manifest {
  const m = data as Partial<Manifest> | null;
  if (m === null || typeof m !== 'object' || Array.isArray(m)) throw new InputError('not an experiment manifest (expected a JSON object)', path);
  const nameWhy = unsafeNameReason(m.name);
  if (nameWhy) throw new InputError(`not an experiment manifest: name ${typeof m.name === 'string' ? `"${printable(m.name)}" ` : ''}${nameWhy}`, path, 'name');
  if (typeof m.seed !== 'number' || !Number.isFinite(m.seed)) throw new InputError('not an experiment manifest: seed must be a number', path, 'seed');
  if (!Array.isArray(m.points)) throw new InputError('not an experiment manifest: points must be a list', path, 'points');
  const seen = new Set<string>();
  m.points.forEach((p, i) => {
    const at = `points[${i}]`;
    if (p === null || typeof p !== 'object') throw new InputError('expected {id, point}', path, at);
    const why = unsafeNameReason(p.id);
    if (why) throw new InputError(`point id ${typeof p.id === 'string' ? `"${printable(p.id)}" ` : ''}${why}`, path, `${at}.id`);
    if (seen.has(p.id)) throw new InputError(`point id "${p.id}" appears twice`, path, `${at}.id`);
    seen.add(p.id);
    if (p.point === null || typeof p.point !== 'object' || Array.isArray(p.point)) throw new InputError('point must be an object of swept values', path, `${at}.point`);
  });
  return m as Manifest;
}

/** Why `r` is not a record of point `id` (a result or a failure), or undefined when it is one. */
function recordProblem(r: unknown, id: string): string | undefined {
  if (r === null || typeof r !== 'object' || Array.isArray(r)) return 'expected a JSON object';
  const rec = r as Record<string, unknown>;
  if (rec.id !== id) return `its id is ${JSON.stringify(rec.id)}, not "${id}"`;
  if (rec.point === null || typeof rec.point !== 'object') return 'no "point" object';
  if (typeof rec.error === 'string') return undefined;
  const m = rec.metrics as Record<string, unknown> | undefined;
  if (m === null || typeof m !== 'object') return 'no "metrics" object';
  for (const k of ['ttft_ms', 'tpot_ms', 'e2e_ms']) if (m[k] === null || typeof m[k] !== 'object') return `metrics.${k} is missing`;
  if (typeof rec.completed !== 'number' || typeof rec.rejected !== 'number') return '"completed" or "rejected" is not a number';
  if (rec.summary === null || typeof rec.summary !== 'object') return 'no "summary" object';
  if (!Array.isArray(rec.fleet)) return 'no "fleet" list';
  return undefined;
}

/** Control and other non-printable characters escaped, so a hostile string cannot garble a terminal. */
function printable(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

/** Reads a results directory (made by `sim run` or `sim merge`); InputError when it is not one. */
export function readResults(dir: string): StoredResults {
  const store = new ResultsDir(dir);
  const manifestPath = join(dir, 'experiment.json');
  let manifest: Manifest;
  if (existsSync(manifestPath)) {
    manifest = validateManifest(parseJson(manifestPath), manifestPath);
  } else if (existsSync(join(dir, 'summary.json'))) {
    // Results written before experiment.json existed: the summary lists every point.
    const path = join(dir, 'summary.json');
    const s = parseJson(path) as { name: string; seed: number; runs: PointResult[] };
    const runs = Array.isArray(s?.runs) ? s.runs : undefined;
    if (!runs) throw new InputError('not a results summary (expected name and runs)', path);
    manifest = validateManifest({ name: s.name, seed: s.seed, points: runs.map((r) => ({ id: r?.id, point: r?.point })) }, path);
    runs.forEach((r, i) => {
      const why = recordProblem(r, manifest.points[i].id);
      if (why) throw new InputError(`runs[${i}] is not a point result: ${why}`, path);
    });
    return { dir, manifest, records: runs };
  } else {
    throw new InputError('not a results directory (no experiment.json)', dir);
  }
  return { dir, manifest, records: manifest.points.map((p) => store.readPoint(p.id, true)) };
}

function parseJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw fileSystemError(err, path, 'read results');
  }
  try {
    return JSON.parse(text);
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
