/**
 * A catalog of named entries (GPUs or models) built from YAML files: the shipped file first,
 * then an optional user file whose entries add to or replace the shipped ones. A user entry
 * may say `extends: <name>` to start from an existing entry and change only some fields.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { InputError } from '../input-error.js';
import { readYamlFile, type YamlInput } from '../yaml-input.js';

export interface NamedCatalog<T extends { name: string; aliases?: string[] }> {
  /** The entry called `name` or one of its aliases (compared by lookupKey); InputError otherwise. */
  get(name: string): T;
  has(name: string): boolean;
  /** Canonical names, sorted. */
  names(): string[];
}

type Fields = Record<string, unknown>;

/**
 * Builds a catalog from `files` (later files win). Each file holds `<section>: { name: fields }`.
 * `entrySchema` validates an entry's fields (without `name`, which comes from the key).
 */
export function buildCatalog<S extends z.ZodType>(
  kind: string,
  section: string,
  files: string[],
  entrySchema: S,
): NamedCatalog<z.output<S> & { name: string; aliases?: string[] }> {
  // Every point of a sweep asks for the catalogs: build each distinct set of file contents once.
  const key = contentKey(section, files);
  const hit = key !== undefined ? built.get(key) : undefined;
  if (hit) return hit as NamedCatalog<z.output<S> & { name: string; aliases?: string[] }>;
  const catalog = buildUncached(kind, section, files, entrySchema);
  if (key !== undefined) built.set(key, catalog as NamedCatalog<{ name: string; aliases?: string[] }>);
  return catalog;
}

const built = new Map<string, NamedCatalog<{ name: string; aliases?: string[] }>>();

/** The section and the files' names and texts; undefined when a file cannot be read (the build reports it). */
function contentKey(section: string, files: readonly string[]): string | undefined {
  try {
    return [section, ...files.flatMap((f) => [f, readFileSync(f, 'utf8')])].join('\0');
  } catch {
    return undefined;
  }
}

function buildUncached<S extends z.ZodType>(
  kind: string,
  section: string,
  files: string[],
  entrySchema: S,
): NamedCatalog<z.output<S> & { name: string; aliases?: string[] }> {
  type T = z.output<S> & { name: string; aliases?: string[] };
  const raw = new Map<string, { name: string; fields: Fields }>();
  const entries = new Map<string, T>();
  const fileShape = z.object({ [section]: z.record(z.string(), z.record(z.string(), z.unknown())) });

  for (const file of files) {
    const input = readYamlFile(file);
    const data = input.check(fileShape, input.data) as Record<string, Record<string, Fields>>;
    const inFile = new Set(Object.keys(data[section]).map((n) => n.toLowerCase()));
    for (const [name, fields] of Object.entries(data[section])) {
      const merged = withBase(kind, section, name, fields, raw, input, inFile);
      const path = [section, name];
      const spec = input.check(entrySchema, merged, path) as T;
      raw.set(name.toLowerCase(), { name, fields: merged });
      entries.set(name.toLowerCase(), { ...spec, name });
    }
  }
  return indexCatalog(kind, [...entries.values()]);
}

/** Applies `extends:` by overlaying the entry's fields (one level deep) on its base's fields. */
function withBase(
  kind: string,
  section: string,
  name: string,
  fields: Fields,
  known: Map<string, { name: string; fields: Fields }>,
  input: YamlInput,
  /** Names of this file's entries (lower case), to tell a forward reference from an unknown name. */
  inFile: ReadonlySet<string>,
): Fields {
  const { extends: baseName, ...own } = fields;
  if (baseName === undefined) return own;
  const key = typeof baseName === 'string' ? baseName.toLowerCase() : undefined;
  const base = key !== undefined ? known.get(key)?.fields : undefined;
  if (!base) {
    const names = [...known.values()].map((k) => k.name).join(', ');
    const why =
      key === name.toLowerCase()
        ? `${JSON.stringify(name)} extends itself`
        : key !== undefined && inFile.has(key)
          ? `extends ${JSON.stringify(baseName)}, which comes after it in this file: an entry extends one above it or one of an earlier catalog`
          : `extends unknown ${kind} ${JSON.stringify(baseName)} (known: ${names})`;
    throw new InputError(why, input.file, input.where([section, name, 'extends']));
  }
  const merged: Fields = { ...base };
  delete merged.aliases; // aliases belong to the base entry, not to its variants
  for (const [key, value] of Object.entries(own)) {
    const prev = merged[key];
    merged[key] = isPlainObject(prev) && isPlainObject(value) ? { ...prev, ...value } : value;
  }
  return merged;
}

function isPlainObject(v: unknown): v is Fields {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `base` with `extra` entries added; an extra entry replaces a base entry of the same name. */
export function extendCatalog<T extends { name: string; aliases?: string[] }>(kind: string, base: NamedCatalog<T>, extra: readonly T[]): NamedCatalog<T> {
  const replaced = new Set(extra.map((e) => e.name.toLowerCase()));
  const kept = base.names().filter((n) => !replaced.has(n.toLowerCase())).map((n) => base.get(n));
  return indexCatalog(kind, [...kept, ...extra]);
}

/**
 * What names are compared by: case, spaces and underscores do not count, nor a leading vendor
 * word, so the names tools print find their entry ("NVIDIA A100-SXM4-80GB" from nvidia-smi,
 * "NVIDIA_H100_80GB_HBM3" from vLLM's tuned-config file names, "GeForce RTX 4090").
 */
export function lookupKey(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-')
    .replace(/^(nvidia-)?(geforce-)?/, '');
}

function indexCatalog<T extends { name: string; aliases?: string[] }>(kind: string, list: T[]): NamedCatalog<T> {
  const byKey = new Map<string, T>();
  for (const entry of list) {
    for (const alias of entry.aliases ?? []) byKey.set(lookupKey(alias), entry);
  }
  // Canonical names win over aliases of other entries.
  for (const entry of list) byKey.set(lookupKey(entry.name), entry);
  const names = list.map((e) => e.name).sort();
  return {
    get(name) {
      const entry = byKey.get(lookupKey(name));
      if (!entry) throw new InputError(`unknown ${kind} ${JSON.stringify(name)} (known: ${names.join(', ')})`);
      return entry;
    },
    has: (name) => byKey.has(lookupKey(name)),
    names: () => [...names],
  };
}
