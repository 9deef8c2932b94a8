import { createHash } from 'node:crypto';
import { InputError } from '../input-error.js';

/** One point of a sweep: the swept values, by field path, in the order the sweep lists them. */
export type PointValues = Record<string, unknown>;

/** Cartesian product of the sweep's value lists; one empty point when there is no sweep. */
export function expandSweep(sweep: Record<string, unknown[]> | undefined): PointValues[] {
  let points: PointValues[] = [{}];
  for (const [path, values] of Object.entries(sweep ?? {})) {
    const next: PointValues[] = [];
    for (const p of points) for (const v of values) next.push({ ...p, [path]: v });
    points = next;
  }
  return points;
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
 * A deep copy of `data` with `value` set at `path`. The path must lead through existing objects
 * and arrays (the last key may be new), so a typo is reported rather than silently added.
 */
export function setPath(data: unknown, path: string, value: unknown, file?: string): unknown {
  const keys = parsePath(path);
  const root = structuredClone(data);
  let node: unknown = root;
  for (let i = 0; i < keys.length - 1; i++) {
    const k = keys[i];
    const child = (node as Record<string | number, unknown>)?.[k];
    if (child === null || typeof child !== 'object') {
      throw new InputError(`sweep path "${path}" does not exist in the experiment (no ${describeKey(keys, i)})`, file, 'sweep');
    }
    node = child;
  }
  const last = keys[keys.length - 1];
  if (Array.isArray(node) && (typeof last !== 'number' || last >= node.length)) {
    throw new InputError(`sweep path "${path}" indexes past the end of a list`, file, 'sweep');
  }
  (node as Record<string | number, unknown>)[last] = structuredClone(value);
  return root;
}

function describeKey(keys: (string | number)[], i: number): string {
  return keys
    .slice(0, i + 1)
    .map((k, j) => (typeof k === 'number' ? `[${k}]` : j === 0 ? k : `.${k}`))
    .join('');
}

/** JSON with object keys sorted, so equal configurations give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
      : v,
  );
}

/** A short stable id of a resolved configuration: readable swept values plus a content hash. */
export function pointId(values: PointValues, resolved: unknown): string {
  const hash = createHash('sha256').update(canonicalJson(resolved)).digest('hex').slice(0, 10);
  const label = Object.values(values)
    .map((v) => (typeof v === 'object' ? '' : String(v)))
    .filter(Boolean)
    .join('_')
    .replace(/[^A-Za-z0-9.-]+/g, '-')
    .slice(0, 48);
  return label ? `${label}-${hash}` : hash;
}
