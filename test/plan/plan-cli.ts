/**
 * Runs `sim plan` in-process, as test/cli/harness.ts does for the other commands: stdout and
 * stderr captured, process.exitCode read back and restored.
 */
import { sim, type CliResult } from '../cli/harness.js';

export type { CliResult };

export function simPlan(...args: string[]): Promise<CliResult> {
  return sim('plan', ...args);
}
