import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { InputError } from '../input-error.js';
import { parseAibrixProfile, ProfileSet, RoutingConfigError } from '../routing/index.js';

/**
 * Loads AIBrix-format profiles from a file or a directory of `.json` files. A profile's `gpu`
 * field names the GPU type (deployment) it describes; profiles for GPU types not in the fleet
 * are skipped with a warning.
 */
export function loadProfiles(
  path: string,
  model: string,
  fleetGpus: readonly string[],
  warn: (message: string) => void,
  where: { file: string; field: string },
): ProfileSet {
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
      profile = parseAibrixProfile(readFileSync(file, 'utf8'), file, warn);
    } catch (err) {
      if (err instanceof RoutingConfigError) throw new InputError(err.format(), where.file, where.field);
      throw err;
    }
    const gpu = fleetGpus.find((g) => g.toLowerCase() === profile.gpu.toLowerCase());
    if (!gpu) {
      warn(`profile ${basename(file)} is for GPU "${profile.gpu}", which is not in the fleet (${fleetGpus.join(', ')}); ignored`);
      continue;
    }
    set.add(model, gpu, profile, warn);
  }
  return set;
}
