import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isFailure } from '../experiment/point-record.js';
import { readResults, type StoredResults } from '../experiment/results-dir.js';
import { shardPoints } from '../experiment/shard.js';
import { shardRoot, type JobSpec } from './job-spec.js';

export interface ShardStatus {
  shard: number;
  /** The shard's results directory holds experiment.json. */
  started: boolean;
  points: string[];
  missing: string[];
  failed: string[];
}

export interface SweepStatus {
  /** Results directories of the shards that started. */
  dirs: string[];
  total: number;
  shards: ShardStatus[];
}

/** Which points of a sharded sweep each shard has recorded, from the shards' results directories. */
export function sweepStatus(dir: string, spec: JobSpec): SweepStatus {
  const stored = new Map<number, StoredResults>();
  for (let k = 1; k <= spec.shards; k++) {
    const results = join(shardRoot(dir, spec, k), spec.name);
    if (existsSync(join(results, 'experiment.json'))) stored.set(k, readResults(results));
  }
  const manifest = [...stored.values()][0]?.manifest;
  const shards: ShardStatus[] = [];
  for (let k = 1; k <= spec.shards; k++) {
    const mine = manifest ? shardPoints(manifest.points, { index: k, count: spec.shards }) : [];
    const s = stored.get(k);
    const record = (id: string) => (s ? s.records[s.manifest.points.findIndex((p) => p.id === id)] : undefined);
    shards.push({
      shard: k,
      started: s !== undefined,
      points: mine.map((p) => p.id),
      missing: mine.filter((p) => record(p.id) === undefined).map((p) => p.id),
      failed: mine.filter((p) => {
        const r = record(p.id);
        return r !== undefined && isFailure(r);
      }).map((p) => p.id),
    });
  }
  return { dirs: [...stored.values()].map((s) => s.dir), total: manifest?.points.length ?? 0, shards };
}
