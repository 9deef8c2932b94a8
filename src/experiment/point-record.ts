import type { PointResult } from './run-point.js';
import type { PointValues } from './sweep.js';

/** A point that did not finish: what it was and why, recorded like a result so the sweep goes on. */
export interface PointFailure {
  name: string;
  id: string;
  seed: number;
  point: PointValues;
  error: string;
}

/** What points/<id>.json holds: a result, or a failure. */
export type PointRecord = PointResult | PointFailure;

export function isFailure(r: PointRecord): r is PointFailure {
  return typeof (r as PointFailure).error === 'string';
}
