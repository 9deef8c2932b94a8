import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The package's `workloads/` directory. This module is src/workload/shipped.ts (tests) or
 * dist/workload/shipped.js (built), two levels below the package root either way; it must stay
 * at this depth.
 */
export const SHIPPED_WORKLOADS_DIR = fileURLToPath(new URL('../../workloads/', import.meta.url));

/** Path of a shipped definition, or undefined when there is none of that name. */
export function shippedDefinitionPath(name: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) return undefined;
  const file = `${SHIPPED_WORKLOADS_DIR}${name}.yaml`;
  return existsSync(file) ? file : undefined;
}

/** Names of the shipped definitions (for error messages and listings). */
export function shippedDefinitionNames(): string[] {
  if (!existsSync(SHIPPED_WORKLOADS_DIR)) return [];
  return readdirSync(SHIPPED_WORKLOADS_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}
