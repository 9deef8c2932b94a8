import { InputError } from '../input-error.js';

/**
 * Parses CSV text with RFC 4180 quoting (fields with commas or quotes in double quotes, "" for a
 * quote) into a header and rows of strings. Real-run tables carry free-text notes, so the trace
 * reader's unquoted splitting does not do here.
 */
export function parseQuotedCsv(text: string, file: string): { header: string[]; rows: { line: number; fields: string[] }[] } {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      fields.push(field);
      if (fields.length > 1 || fields[0] !== '') records.push({ line: start, fields });
      fields = [];
      field = '';
      start = ++line;
    } else field += c;
  }
  if (quoted) throw new InputError('unterminated quoted field', file, `line ${start}`);
  fields.push(field);
  if (fields.length > 1 || fields[0] !== '') records.push({ line: start, fields });
  if (records.length === 0) throw new InputError('empty CSV (no header line)', file, 'line 1');
  const header = records[0].fields.map((h) => h.replace(/^\uFEFF/, '').trim());
  return { header, rows: records.slice(1) };
}
