import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { RequestSpec, RequestStream } from '../../src/workload/index.js';

/** A temp directory for the calling test file, removed after its tests. */
export function tempDir(): { dir: string; write(name: string, text: string): string } {
  const dir = mkdtempSync(join(tmpdir(), 'routesim-workload-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    write(name: string, text: string): string {
      const file = join(dir, name);
      writeFileSync(file, text);
      return file;
    },
  };
}

/** Drains a stream (tests only: they use small streams). */
export function drain(stream: RequestStream, limit = Infinity): RequestSpec[] {
  const out: RequestSpec[] = [];
  for (let r = stream.next(); r !== undefined && out.length < limit; r = stream.next()) out.push(r);
  return out;
}

/** Runs fn and returns the InputError it throws, formatted ("file: where: message"). */
export function inputError(fn: () => unknown): { message: string; file?: string; where?: string; text: string } {
  try {
    fn();
  } catch (err) {
    const e = err as { name: string; message: string; file?: string; where?: string; format(): string };
    if (e.name !== 'InputError') throw err;
    return { message: e.message, file: e.file, where: e.where, text: e.format() };
  }
  throw new Error('expected an InputError');
}
