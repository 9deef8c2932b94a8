import { createHash } from 'node:crypto';
import { InputError } from '../input-error.js';
import { formatPath } from '../zod-issue.js';
import { missingSchemaKey } from './schema-path.js';
import { experimentSchema } from './schema.js';
import { scaleRates } from '../workload/scale-rates.js';

/** One point of a sweep: the swept values, by field path, in the order the sweep lists them. */
export type PointValues = Record<string, unknown>;

/** The key under which the `rates:` shorthand records a point's total request rate. */
export const RATE_KEY = 'rate';

/** The `sweep:` section as validated (see sweepSchema). */
export interface SweepSpec {
  rates?: number[];
  zip?: Record<string, unknown[]>[];
  [path: string]: unknown[] | undefined;
}

/**
 * The points of a sweep, in a fixed order: the cartesian product of its dimensions in the order
 * the file lists them, the last varying fastest. A dimension is one field path and its list, the
 * `rates:` list, or a zip group (several paths stepping together). No sweep gives one empty point.
 * `order` is the keys as the file lists them (validation puts rates and zip first).
 */
export function expandSweep(sweep: SweepSpec | undefined, order: readonly string[] = Object.keys(sweep ?? {})): PointValues[] {
  const dims: PointValues[][] = [];
  for (const key of order) {
    const list = sweep?.[key];
    if (list === undefined) continue;
    if (key === 'rates') dims.push((list as number[]).map((v) => ({ [RATE_KEY]: v })));
    else if (key === 'zip') for (const group of list as Record<string, unknown[]>[]) dims.push(zipGroup(group));
    else dims.push(list.map((v) => ({ [key]: v })));
  }
  let points: PointValues[] = [{}];
  for (const dim of dims) points = points.flatMap((p) => dim.map((step) => ({ ...p, ...step })));
  return points;
}

function zipGroup(group: Record<string, unknown[]>): PointValues[] {
  const paths = Object.keys(group);
  const n = group[paths[0]].length;
  return Array.from({ length: n }, (_, i) => Object.fromEntries(paths.map((p) => [p, group[p][i]])));
}

/** The keys of the raw document's `sweep:` mapping, in the order the file lists them. */
export function sweepKeys(data: unknown): string[] {
  const sweep = (data as { sweep?: unknown })?.sweep;
  return sweep && typeof sweep === 'object' ? Object.keys(sweep) : [];
}

/**
 * The raw experiment document with one point's values applied, ready for validation. `where`
 * gives "sweep (line N)" for error messages.
 */
export function applyPoint(data: unknown, values: PointValues, file?: string, where?: (path: PropertyKey[]) => string): unknown {
  let out = data;
  for (const [path, value] of Object.entries(values)) {
    const at = where?.(['sweep', path === RATE_KEY ? 'rates' : path]) ?? 'sweep';
    out = path === RATE_KEY ? applyRate(out, value as number, file, at) : setPath(out, path, value, file, at);
  }
  return out;
}

/**
 * Sets the total request rate: workload.rate when the workload has one (a ratio mix), otherwise
 * every source's rate scaled by the same factor, so the mix between sources stays as written.
 */
function applyRate(data: unknown, rate: number, file: string | undefined, at: string): unknown {
  const root = structuredClone(data) as { workload?: { rate?: unknown; sources?: { rate?: unknown }[] } };
  const w = root.workload;
  if (w && typeof w === 'object' && w.rate !== undefined) {
    w.rate = rate;
    return root;
  }
  const sources = Array.isArray(w?.sources) ? w.sources : [];
  const missing = sources.findIndex((s) => typeof s?.rate !== 'number');
  if (sources.length === 0 || missing >= 0) {
    throw new InputError(
      `rates: needs workload.rate or a rate on every source (workload.sources[${Math.max(0, missing)}] has none)`,
      file,
      at,
    );
  }
  const scaled = scaleRates(sources.map((s) => s.rate as number), rate);
  sources.forEach((s, i) => (s.rate = scaled[i]));
  return root;
}

/** Parses "a.b[2].c" into ["a", "b", 2, "c"]. */
export function parsePath(path: string): (string | number)[] {
  const parts: (string | number)[] = [];
  for (const segment of path.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(segment);
    if (!m || (m[1] === '' && m[2] === '')) throw new InputError(`malformed field path "${path}"`);
    if (m[1] !== '') parts.push(m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) parts.push(Number(idx[1]));
  }
  return parts;
}

/**
 * A deep copy of `data` with `value` set at `path`. The path must name a field of the experiment
 * schema, so a typo is reported rather than silently added; objects left out of the file (e.g.
 * `slo` for slo.ttftMs) are created, list entries must exist.
 */
export function setPath(data: unknown, path: string, value: unknown, file?: string, at = 'sweep'): unknown {
  let keys: (string | number)[];
  try {
    keys = parsePath(path);
  } catch (err) {
    throw new InputError((err as Error).message, file, at);
  }
  // These name the experiment and where its results go: one per experiment, not per point.
  if (keys[0] === 'name' || keys[0] === 'description' || keys[0] === 'outputs' || keys[0] === 'replicates') {
    throw new InputError(`sweep path "${path}" cannot be swept: ${keys[0]} belongs to the whole experiment (give each variant its own file)`, file, at);
  }
  const missing = keys[0] === 'sweep' ? { parent: [], key: 'sweep' } : missingSchemaKey(experimentSchema, keys);
  if (missing) {
    const owner = missing.parent.length > 0 ? `${formatPath(missing.parent)} has no field` : 'no top-level field';
    throw new InputError(`sweep path "${path}" does not exist in the schema (${owner} "${missing.key}")`, file, at);
  }
  const root = structuredClone(data) as Record<string | number, unknown>;
  let node: Record<string | number, unknown> = root;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (Array.isArray(node) && (typeof k !== 'number' || k >= node.length)) {
      throw new InputError(
        `sweep path "${path}" indexes past the end of a list (${formatPath(keys.slice(0, i))} has ${node.length} entries)`,
        file,
        at,
      );
    }
    if (i === keys.length - 1) break;
    let child = node[k];
    if (child === undefined || child === null) {
      if (typeof keys[i + 1] === 'number') {
        throw new InputError(`sweep path "${path}" indexes past the end of a list (${formatPath(keys.slice(0, i + 1))} is empty)`, file, at);
      }
      child = node[k] = {};
    }
    if (typeof child !== 'object') {
      throw new InputError(`sweep path "${path}" goes through ${formatPath(keys.slice(0, i + 1))}, which is not a mapping`, file, at);
    }
    node = child as Record<string | number, unknown>;
  }
  node[keys[keys.length - 1]] = structuredClone(value);
  return root;
}

/** JSON with object keys sorted, so equal configurations give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
      : v,
  );
}

/**
 * A short stable id of a resolved configuration: readable swept values plus a hash of the whole
 * validated configuration, so the same configuration gets the same id in every run, shard and
 * machine, and editing one value of a sweep leaves the other points' ids alone.
 */
export function pointId(values: PointValues, resolved: unknown): string {
  const hash = createHash('sha256').update(canonicalJson(resolved)).digest('hex').slice(0, 10);
  const label = Object.values(values)
    .map((v) => (typeof v === 'object' ? '' : String(v)))
    .filter(Boolean)
    .join('_')
    .replace(/[^A-Za-z0-9.-]+/g, '-')
    // A leading dot would make a hidden file (a swept "./my-policy.js").
    .replace(/^[.-]+/, '')
    .slice(0, 48);
  return label ? `${label}-${hash}` : hash;
}
