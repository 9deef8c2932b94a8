/**
 * Reading YAML files with errors that name the file, the field path and the line, as InputError
 * wants them.
 */
import { readFileSync } from 'node:fs';
import { isNode, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { InputError } from './input-error.js';
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

export function readYamlFile(file: string): YamlInput {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new InputError(`cannot read file (${code})`, file);
  }
  return parseYamlText(text, file);
}

export function parseYamlText(text: string, file: string): YamlInput {
  const lines = new LineCounter();
  // merge: YAML merge keys (`<<: *anchor`) let one entry reuse another's fields.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true });
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const line = lines.linePos(err.pos[0]).line;
    throw new InputError(`invalid YAML: ${err.message.split('\n')[0]}`, file, `line ${line}`);
  }

  const lineOf = (path: readonly PropertyKey[]): number | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
    }
    return undefined;
  };
  const where = (path: readonly PropertyKey[]): string => {
    const field = path.map(String).join('.');
    const line = lineOf(path);
    const at = line === undefined ? '' : `line ${line}`;
    return field && at ? `${field} (${at})` : field || at;
  };

  return {
    file,
    data: doc.toJS(),
    where,
    check(schema, value, path = []) {
      const result = schema.safeParse(value);
      if (result.success) return result.data;
      // A union (e.g. `engine: sglang` or settings) reports the branch that got furthest.
      const { issue, path: at } = reportedIssue(result.error.issues[0]);
      throw new InputError(issueMessage(issue), file, where([...path, ...at]));
    },
  };
}
