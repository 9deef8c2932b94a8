import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's `profiles/` directory. This file sits two levels below the package root both as
 * source (src/hardware/) and compiled (dist/hardware/), so the same relative step works for both.
 */
export function profilesDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'profiles');
}
