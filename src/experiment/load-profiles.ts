import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { InputError } from '../input-error.js';
import { parseAibrixProfile, ProfileSet, RoutingConfigError } from '../routing/index.js';

/**
 * Loads AIBrix-format profiles from a file or a directory of `.json` files, all stored under
 * `model` (AIBrix's Redis key carries the model; a file does not). A profile's `gpu` field is
 * AIBrix's deployment name: it is the fleet GPU type of that name (exactly, as AIBrix matches
 * deployment names), or the one `deployments` maps it to. Other profiles are skipped with a
 * warning. `deployments` values must name fleet GPU types (`deploymentsField` locates them).
 * Messages name a file by `where.label` (run-point names it relative to the experiment, so
 * results do not carry the install path).
 */
export function loadProfiles(
  path: string,
  model: string,
  fleetGpus: readonly string[],
  warn: (message: string) => void,
  where: {
    file: string;
    field: string;
    deploymentsField?: (name: string) => string;
    /** How messages name a profile file (default: its path as read). */
    label?: (file: string) => string;
  },
  deployments: Readonly<Record<string, string>> = {},
): ProfileSet {
  for (const [name, gpu] of Object.entries(deployments)) {
    if (!fleetGpus.includes(gpu)) {
      throw new InputError(
        `deployment "${name}" maps to "${gpu}", which names no fleet entry (fleet GPU types: ${fleetGpus.join(', ')})`,
        where.file,
        where.deploymentsField?.(name) ?? `router.deployments.${name}`,
      );
    }
  }
  let files: string[];
  try {
    files = statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((f) => f.endsWith('.json'))
          .sort()
          .map((f) => join(path, f))
      : [path];
  } catch {
    throw new InputError(`profiles not found: ${path}`, where.file, where.field);
  }
  const set = new ProfileSet();
  for (const file of files) {
    let profile;
    try {
      profile = parseAibrixProfile(readFileSync(file, 'utf8'), where.label?.(file) ?? file, warn);
    } catch (err) {
      if (err instanceof RoutingConfigError) throw new InputError(err.format(), where.file, where.field);
      throw err;
    }
    const gpu = Object.hasOwn(deployments, profile.gpu) ? deployments[profile.gpu] : fleetGpus.find((g) => g === profile.gpu);
    if (!gpu) {
      const near = fleetGpus.find((g) => g.toLowerCase() === profile.gpu.toLowerCase());
      warn(
        `profile ${basename(file)} is for deployment "${profile.gpu}", which is no fleet GPU type (${fleetGpus.join(', ')}) ` +
          `and not mapped in router.deployments; ignored` +
          (near ? ` (deployment names match case-sensitively, as in AIBrix; map it to ${near} if that is meant)` : ''),
      );
      continue;
    }
    set.add(model, gpu, profile, warn);
  }
  return set;
}
