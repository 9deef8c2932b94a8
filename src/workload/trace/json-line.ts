import { InputError } from '../../input-error.js';

/** Parses one JSONL line that must hold an object; errors name the line. */
export function parseJsonObject(text: string, file: string, line: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InputError(`invalid JSON (${(err as Error).message})`, file, `line ${line}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InputError('expected a JSON object', file, `line ${line}`);
  }
  return value as Record<string, unknown>;
}
