import { RoutingConfigError } from './errors.js';
import type { PolicyOptions } from './policy.js';

/** Reads a numeric policy option, or the default; throws RoutingConfigError naming the option. */
export function numberOption(
  options: PolicyOptions,
  key: string,
  def: number,
  limits: { min?: number; max?: number; integer?: boolean } = {},
  policy = 'policy',
): number {
  const v = options[key];
  if (v === undefined) return def;
  if (typeof v !== 'number' || Number.isNaN(v)) {
    throw new RoutingConfigError(`${policy}: option "${key}" must be a number, got ${JSON.stringify(v)}`, undefined, key);
  }
  if (limits.integer && !Number.isInteger(v)) {
    throw new RoutingConfigError(`${policy}: option "${key}" must be an integer, got ${v}`, undefined, key);
  }
  if (limits.min !== undefined && v < limits.min) {
    throw new RoutingConfigError(`${policy}: option "${key}" must be >= ${limits.min}, got ${v}`, undefined, key);
  }
  if (limits.max !== undefined && v > limits.max) {
    throw new RoutingConfigError(`${policy}: option "${key}" must be <= ${limits.max}, got ${v}`, undefined, key);
  }
  return v;
}

/** Reads an optional numeric option (undefined when absent). */
export function optionalNumberOption(
  options: PolicyOptions,
  key: string,
  limits: { min?: number; max?: number; integer?: boolean } = {},
  policy = 'policy',
): number | undefined {
  return options[key] === undefined ? undefined : numberOption(options, key, 0, limits, policy);
}

export function boolOption(options: PolicyOptions, key: string, def: boolean, policy = 'policy'): boolean {
  const v = options[key];
  if (v === undefined) return def;
  if (typeof v !== 'boolean') {
    throw new RoutingConfigError(`${policy}: option "${key}" must be true or false, got ${JSON.stringify(v)}`, undefined, key);
  }
  return v;
}

export function enumOption<T extends string>(
  options: PolicyOptions,
  key: string,
  values: readonly T[],
  def: T,
  policy = 'policy',
): T {
  const v = options[key];
  if (v === undefined) return def;
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
    throw new RoutingConfigError(
      `${policy}: option "${key}" must be one of ${values.map((x) => `"${x}"`).join(', ')}, got ${JSON.stringify(v)}`,
      undefined,
      key,
    );
  }
  return v as T;
}
