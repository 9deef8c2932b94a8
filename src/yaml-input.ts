/**
 * Reading YAML files with errors that name the file, the field path and the line, as InputError
 * wants them.
 */
import { readFileSync, statSync } from 'node:fs';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { InputError } from './input-error.js';
import { cachedYamlData } from './yaml-cache.js';
import { issueMessage, reportedIssue } from './zod-issue.js';

export interface YamlInput {
  file: string;
  /** The document as plain data. */
  data: unknown;
  /** "a.b.c (line 12)" for a path into the document; a missing field points at its parent. */
  where(path: readonly PropertyKey[]): string;
  /** Validates `value` (found at `path` in this file) against `schema`; InputError on failure. */
  check<S extends z.ZodType>(schema: S, value: unknown, path?: readonly PropertyKey[]): z.output<S>;
}

/** Experiment, plan and workload files are hand-written: anything larger is not one. */
const MAX_YAML_BYTES = 16 * 1024 * 1024;

export function readYamlFile(file: string): YamlInput {
  let text: string;
  try {
    // A device (/dev/zero) or a FIFO would be read forever; a directory has no text.
    const st = statSync(file);
    if (st.isDirectory()) throw new InputError('is a directory, not a YAML file', file);
    if (!st.isFile()) throw new InputError('is not a regular file', file);
    if (st.size > MAX_YAML_BYTES) throw new InputError(`is ${st.size} bytes; a YAML file of more than ${MAX_YAML_BYTES} bytes is not an experiment`, file);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new InputError(`cannot read file (${code})`, file);
  }
  return parseYamlText(text, file);
}

/**
 * The last parse of each file, by its text. One run reads the catalogs and the experiment more
 * than once (validation, then each point); parsing is what costs, so the same text is parsed
 * once per process. Callers get their own copy of the data.
 */
const parsedByFile = new Map<string, { text: string; input: YamlInput }>();

export function parseYamlText(text: string, file: string, buildCache?: string): YamlInput {
  const cached = parsedByFile.get(file);
  if (cached && cached.text === text) return { ...cached.input, data: structuredClone(cached.input.data) };
  const built = cachedYamlData(text, buildCache);
  const input = built !== undefined ? withData(file, built, lazyWhere(text, file)) : parseYamlTextOnce(text, file);
  parsedByFile.set(file, { text, input });
  return { ...input, data: structuredClone(input.data) };
}

/** The plain data of `text`, parsed (no memo, no build cache): what the build cache stores. */
export function parseYamlData(text: string, file: string): unknown {
  return parseYamlTextOnce(text, file).data;
}

interface Tree {
  doc: Document.Parsed;
  lines: LineCounter;
}

function parseTree(text: string, file: string): Tree {
  const lines = new LineCounter();
  // merge: YAML merge keys (`<<: *anchor`) let one entry reuse another's fields.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true });
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const line = lines.linePos(err.pos[0]).line;
    // The parser's own advice on this one names its API, not the user's fix.
    const message = /multiple documents/i.test(err.message) ? 'a second document (---) begins here; a file holds one' : err.message.split('\n')[0];
    throw new InputError(`invalid YAML: ${message}`, file, `line ${line}`);
  }
  return { doc, lines };
}

function whereIn({ doc, lines }: Tree): YamlInput['where'] {
  const lineOf = (path: readonly PropertyKey[]): number | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
    }
    return undefined;
  };
  return (path) => {
    const field = path.map(String).join('.');
    const line = lineOf(path);
    const at = line === undefined ? '' : `line ${line}`;
    return field && at ? `${field} (${at})` : field || at;
  };
}

/** `where` for data taken from the build cache: the parse tree is built on the first message. */
function lazyWhere(text: string, file: string): YamlInput['where'] {
  let where: YamlInput['where'] | undefined;
  return (path) => (where ??= whereIn(parseTree(text, file)))(path);
}

function parseYamlTextOnce(text: string, file: string): YamlInput {
  const tree = parseTree(text, file);
  let data: unknown;
  try {
    // Aliases expand on conversion: a "billion laughs" document stops at the alias limit.
    data = tree.doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new InputError(`invalid YAML: ${(err as Error).message.split('\n')[0]}`, file);
  }
  return withData(file, data, whereIn(tree));
}

function withData(file: string, data: unknown, where: YamlInput['where']): YamlInput {
  return {
    file,
    data,
    where,
    check(schema, value, path = []) {
      const result = schema.safeParse(value);
      if (result.success) return result.data;
      // A union (e.g. `engine: sglang` or settings) reports the branch that got furthest.
      const { issue, path: at } = reportedIssue(result.error.issues[0]);
      // An unknown key is located at its own line, not at the object that holds it.
      const located = issue.code === 'unrecognized_keys' && issue.keys.length > 0 ? [...at, issue.keys[0]] : at;
      throw new InputError(issueMessage(issue), file, where([...path, ...located]));
    },
  };
}
