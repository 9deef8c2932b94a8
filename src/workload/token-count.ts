import { InputError } from '../input-error.js';

/**
 * Reads a token count from a trace field. Non-numeric or negative values are errors naming the
 * line; fractional values are rounded. Zero is clamped to 1: every request has at least one
 * prompt token, and an engine always emits at least one output token before it stops.
 */
export function tokenCount(value: unknown, field: string, file: string, line: number): number {
  const rounded = Math.round(timestampValue(value, field, file, line));
  return rounded < 1 ? 1 : rounded;
}

/** Reads a timestamp (any unit) or count that must be a finite non-negative number. */
export function timestampValue(value: unknown, field: string, file: string, line: number): number {
  if (value === undefined) throw new InputError(`missing ${field}`, file, `line ${line}`);
  const n = toNumber(value);
  if (!Number.isFinite(n) || n < 0) {
    throw new InputError(
      `${field} must be a non-negative number, got ${JSON.stringify(value) ?? String(value)}`,
      file,
      `line ${line}`,
    );
  }
  return n;
}

/**
 * Arrival times (seconds) beyond this lose the simulator's step resolution in a double (at
 * 1e11 s, 15 us; Unix-epoch times, about 1.7e9 s, keep 0.2 us), so they are refused.
 */
export const MAX_ARRIVAL_S = 1e11;

/**
 * Rejects a timestamp earlier than the previous one (traces are replayed in order, unsorted) or
 * later than MAX_ARRIVAL_S.
 */
export function checkOrder(previous: number, current: number, file: string, line: number): void {
  if (current > MAX_ARRIVAL_S) {
    throw new InputError(`timestamp is ${current.toExponential(2)} s, beyond the ${MAX_ARRIVAL_S.toExponential(0)} s a replay can resolve (check its unit)`, file, `line ${line}`);
  }
  if (current < previous) {
    throw new InputError(
      `timestamps must be non-decreasing (${current} after ${previous})`,
      file,
      `line ${line}`,
    );
  }
}

/** A decimal number as traces write them: no hex (0x20), binary, "Infinity" or blank (Number('') is 0). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A JSON number, or a decimal text (as tables and traces write numbers); NaN otherwise. */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const t = value.trim();
    if (DECIMAL.test(t)) return Number(t);
  }
  return NaN;
}
