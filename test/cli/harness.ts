/**
 * Runs `sim` commands in-process: the same commander wiring as src/cli/main.ts for the commands
 * under test, with stdout/stderr captured and process.exitCode read back (and restored).
 */
import { vi } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** An error that escaped the command (a bug: the real CLI would print a stack trace). */
  thrown?: unknown;
}

export async function sim(...args: string[]): Promise<CliResult> {
  const program = buildProgram().exitOverride();
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
    await program.parseAsync(['node', 'sim', ...args]);
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

/** Lines of text, without the trailing empty one. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l, i, a) => !(i === a.length - 1 && l === ''));
}
