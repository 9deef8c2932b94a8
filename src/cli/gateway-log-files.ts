import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError } from '../input-error.js';

/** The first line of a file (at most 64 KiB of it). */
function firstLine(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(65536);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8').split('\n')[0];
  } finally {
    closeSync(fd);
  }
}

function isRequestRecord(line: string): boolean {
  try {
    const r = JSON.parse(line) as Record<string, unknown>;
    return typeof r === 'object' && r !== null && typeof r.id === 'number' && typeof r.endpoint === 'string' && 'ttft' in r;
  } catch {
    return false;
  }
}

/**
 * Checks the gateway's log files before anything starts, so a bad path is one line naming the
 * field rather than a crash once the first request arrives. The decision log is written from its
 * header on, so an existing file is refused (a previous session's log is a result too); the
 * request log is appended to, so an existing file must be one the gateway wrote.
 */
export function checkGatewayLogFiles(
  log: { decisions?: string; requests?: string } | undefined,
  configFile: string,
  where: (path: readonly PropertyKey[]) => string,
): void {
  const config = resolve(configFile);
  const seen = new Map<string, string>();
  for (const kind of ['decisions', 'requests'] as const) {
    const path = log?.[kind];
    if (path === undefined) continue;
    const field = where(['log', kind]);
    const fail = (why: string): never => {
      throw new InputError(`${path} ${why}`, configFile, field);
    };
    if (resolve(path) === config) fail('is the config file itself; name a log file of its own');
    const other = seen.get(resolve(path));
    if (other) fail(`is also log.${other}; give each log its own file`);
    seen.set(resolve(path), kind);
    let size: number;
    try {
      const st = statSync(path);
      if (st.isDirectory()) fail('is a directory; name a file in it');
      size = st.size;
    } catch (err) {
      if (err instanceof InputError) throw err;
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') fail(`cannot be read (${(err as NodeJS.ErrnoException).code})`);
      let parent;
      try {
        parent = statSync(dirname(path));
      } catch {
        return fail(`cannot be created: the folder ${dirname(path)} does not exist`);
      }
      if (!parent.isDirectory()) fail(`cannot be created: ${dirname(path)} is not a folder`);
      continue;
    }
    if (size === 0) continue;
    if (kind === 'decisions') fail('already exists, and a decision log is written afresh: move it away or name another file');
    if (!isRequestRecord(firstLine(path))) fail('exists and is not a request log written by sim gateway (records are appended to it): name another file');
  }
}
