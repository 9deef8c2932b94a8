import { InputError } from '../input-error.js';

/** Shard k of N (1-based), as given by `--shard k/N`. */
export interface Shard {
  index: number;
  count: number;
}

export function parseShard(spec: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(spec);
  if (!m) throw new InputError(`--shard "${spec}" is not of the form k/N (e.g. 2/8)`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) throw new InputError(`--shard ${index}/${count}: k must be in 1..${count} (N >= 1)`);
  return { index, count };
}

/**
 * The points of one shard: every N-th point of the expansion, starting at the k-th. Depends only
 * on the expansion order, so every machine computes the same split; dealing points out round-robin
 * spreads neighbouring (similarly expensive) points over the shards.
 */
export function shardPoints<T>(points: readonly T[], shard: Shard | undefined): T[] {
  if (!shard) return [...points];
  return points.filter((_, i) => i % shard.count === shard.index - 1);
}
