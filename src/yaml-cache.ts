/**
 * Parsed data of the package's own YAML files (catalogs, workloads, shipped experiments), written
 * by the build: one JSON file per text, named by the SHA-256 of that text. Parsing YAML is most of
 * what a small run spends before its first event (the catalogs alone took 70 ms, the parser's code
 * being cold); JSON.parse of the same data takes well under a millisecond.
 *
 * Only the text decides: a file whose text differs by one byte from what was built misses and is
 * parsed as always, so a user's edit of a shipped catalog is read as written. The entries hold the
 * parser's plain-data output only; the parse tree (for line numbers in error messages) is built
 * from the text when a message needs it.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

/** dist/yaml-cache/ when this module is compiled; absent beside the sources (tests parse). */
export const BUILT_YAML_CACHE = fileURLToPath(new URL('./yaml-cache/', import.meta.url));

const keyOf = (text: string) => createHash('sha256').update(text).digest('hex');

/** The data the build stored for exactly `text`, or undefined. */
export function cachedYamlData(text: string, dir: string = BUILT_YAML_CACHE): unknown {
  let json: string;
  try {
    json = readFileSync(join(dir, `${keyOf(text)}.json`), 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(json);
  } catch {
    return undefined; // a damaged entry: parse the YAML instead
  }
}

/**
 * Replaces `dir`'s entries with one per text whose data survives JSON unchanged (no dates, no
 * non-finite numbers); the others are left to the parser. Returns how many were written.
 */
export function writeYamlCache(texts: Iterable<{ text: string; data: unknown }>, dir: string): number {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let n = 0;
  for (const { text, data } of texts) {
    const json = JSON.stringify(data);
    if (json === undefined || !isDeepStrictEqual(JSON.parse(json), data)) continue;
    writeFileSync(join(dir, `${keyOf(text)}.json`), json);
    n++;
  }
  return n;
}

/** The YAML files under `dirs`, recursively, sorted. */
export function yamlFilesUnder(dirs: readonly string[]): string[] {
  return dirs
    .flatMap((d) => readdirSync(d, { recursive: true, encoding: 'utf8' }).map((rel) => join(d, rel)))
    .filter((f) => /\.ya?ml$/i.test(f))
    .sort();
}
