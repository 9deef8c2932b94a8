import type { Command } from 'commander';
import { InputError } from '../input-error.js';

/**
 * Refuses flags the user gave that the chosen mode of a command would ignore (`why` says which
 * mode that is), so a flag never silently does nothing.
 */
export function refuseFlags(cmd: Command, flags: readonly string[], why: string): void {
  for (const flag of flags) {
    const option = cmd.options.find((o) => o.long === flag);
    if (option && cmd.getOptionValueSource(option.attributeName()) === 'cli') throw new InputError(`${flag} ${why}`);
  }
}
