/** One CSV field per RFC 4180: quoted when it holds a comma, a double quote or a line break, quotes doubled. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? quoted(s) : s;
}

/** A field always quoted (RFC 4180 allows quoting any field). */
export function quoted(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}
