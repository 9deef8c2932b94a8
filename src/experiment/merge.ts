import { constants, copyFileSync, existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileSystemError, InputError } from '../input-error.js';
import { isFailure, type PointRecord } from './point-record.js';
import { readResults, ResultsDir, writeFileAtomic, type Manifest } from './results-dir.js';
import { ResultsLock } from './results-lock.js';

export interface MergeOutcome {
  dir: string;
  manifest: Manifest;
  /** Points with a result or failure in the merged directory. */
  recorded: number;
  failed: string[];
  /** Points no shard has a record of. */
  missing: string[];
  /** Every point has a record and the summary was written. */
  complete: boolean;
}

/**
 * Combines result directories of shards of one experiment (`sim run --shard k/N`) into `dest`:
 * each point's file is copied as it is, so the merged directory has the bytes one machine would
 * have written. A result wins over a failure of the same point (a shard that was rerun).
 */
export function mergeResults(sources: readonly string[], dest: string): MergeOutcome {
  if (sources.length === 0) throw new InputError('sim merge needs at least one results directory');
  const stored = sources.map(readResults);
  const manifest = stored[0].manifest;
  const ids = JSON.stringify(manifest.points.map((p) => p.id));
  for (const s of stored.slice(1)) {
    if (s.manifest.name !== manifest.name) {
      throw new InputError(`${stored[0].dir} and ${s.dir} hold different experiments ("${manifest.name}" and "${s.manifest.name}")`);
    }
    if (JSON.stringify(s.manifest.points.map((p) => p.id)) !== ids) {
      throw new InputError(`${stored[0].dir} and ${s.dir} were run from different versions of "${manifest.name}" (their points differ)`);
    }
  }
  // Every manifest and point file was checked by readResults above: nothing is written before.
  const out = new ResultsDir(dest);
  const previous = out.open();
  const lock = ResultsLock.acquire(dest, `sim merge into ${dest}`);
  try {
    out.begin(manifest, [], previous);
    return copyRecords(stored, manifest, out, dest);
  } finally {
    lock.release();
  }
}

function copyRecords(stored: ReturnType<typeof readResults>[], manifest: Manifest, out: ResultsDir, dest: string): MergeOutcome {
  const records = new Map<string, PointRecord>();
  manifest.points.forEach(({ id }, i) => {
    const candidates = stored.flatMap((s) => (s.records[i] ? [{ s, r: s.records[i]! }] : []));
    const pick = candidates.find((c) => !isFailure(c.r)) ?? candidates[0];
    if (!pick) return;
    records.set(id, pick.r);
    const from = new ResultsDir(pick.s.dir);
    if (resolve(from.dir) === resolve(out.dir)) return;
    const file = from.pointPath(id);
    // Results from before experiment.json existed live only in summary.json.
    writeFileAtomic(out.pointPath(id), existsSync(file) ? readFileSync(file, 'utf8') : JSON.stringify(pick.r, null, 2) + '\n');
    // A one-point experiment keeps its request log at the top, as a run writes it.
    const single = manifest.points.length === 1;
    // Merges before this layout kept a one-point log under points/: found there too.
    const csv = [from.requestsPath(id, single), from.requestsPath(id, false)].find((f) => existsSync(f));
    if (csv) {
      const target = out.requestsPath(id, single);
      const tmp = `${target}.tmp-${process.pid}`;
      try {
        rmSync(tmp, { force: true });
        copyFileSync(csv, tmp, constants.COPYFILE_EXCL);
        renameSync(tmp, target);
      } catch (err) {
        rmSync(tmp, { force: true });
        throw fileSystemError(err, target, 'write file');
      }
    }
  });
  const complete = out.summarizeIfComplete(manifest, records);
  // A finished run this merge replaced is deleted once the merged one is complete and clean.
  if (complete && ![...records.values()].some(isFailure)) out.dropPrevious();
  return {
    dir: dest,
    manifest,
    recorded: records.size,
    failed: [...records.values()].filter(isFailure).map((r) => r.id),
    missing: manifest.points.filter((p) => !records.has(p.id)).map((p) => p.id),
    complete,
  };
}
