/**
 * The first frame of `err`'s stack inside one of `files`: its line and, when given, column. A
 * file module is loaded with an ?instance=N query (module-loader.ts), which is not part of its path.
 */
export function frameIn(err: unknown, files: readonly string[]): { line: string; column?: string } | undefined {
  const stack = err instanceof Error ? err.stack : undefined;
  if (!stack) return undefined;
  const wanted = new Set(files.map((f) => f.replace(/\\/g, '/')));
  for (const line of stack.split('\n')) {
    const m = /(?:file:\/\/)?(\/[^\s()?]+?)(?:\?[^\s():]*)?:(\d+)(?::(\d+))?\)?\s*$/.exec(line);
    if (m && (wanted.has(m[1]) || wanted.has(decodeURI(m[1])))) return { line: m[2], ...(m[3] !== undefined && { column: m[3] }) };
  }
  return undefined;
}

/** "label:line:col" of the first frame in `files`. */
export function frameLabel(err: unknown, files: readonly string[], label: string): string | undefined {
  const f = frameIn(err, files);
  return f && `${label}:${f.line}${f.column !== undefined ? `:${f.column}` : ''}`;
}
