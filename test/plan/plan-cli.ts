/**
 * Runs `sim plan` in-process, as test/cli/harness.ts does for the other commands: stdout and
 * stderr captured, process.exitCode read back and restored.
 */
import { Command } from 'commander';
import { vi } from 'vitest';
import { registerPlan } from '../../src/cli/plan-command.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  thrown?: unknown;
}

export async function simPlan(...args: string[]): Promise<CliResult> {
  const program = new Command().name('sim').exitOverride();
  registerPlan(program);
  const out: string[] = [];
  const err: string[] = [];
  const capture = (sink: string[]) => (chunk: unknown) => {
    sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString());
    return true;
  };
  const so = vi.spyOn(process.stdout, 'write').mockImplementation(capture(out) as typeof process.stdout.write);
  const se = vi.spyOn(process.stderr, 'write').mockImplementation(capture(err) as typeof process.stderr.write);
  const saved = process.exitCode;
  process.exitCode = undefined;
  let thrown: unknown;
  let code = 0;
  try {
    await program.parseAsync(['node', 'sim', 'plan', ...args]);
    code = Number(process.exitCode ?? 0);
  } catch (e) {
    thrown = e;
    code = -1;
  } finally {
    so.mockRestore();
    se.mockRestore();
    process.exitCode = saved;
  }
  return { code, stdout: out.join(''), stderr: err.join(''), thrown };
}
