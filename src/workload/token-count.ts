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

/** Rejects a timestamp earlier than the previous one: traces are replayed in order, unsorted. */
export function checkOrder(previous: number, current: number, file: string, line: number): void {
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

function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const t = value.trim();
    if (DECIMAL.test(t)) return Number(t);
  }
  return NaN;
}
