/**
 * Bad input from the user: a file, a field or a line that is wrong. The CLI prints the message
 * as one line and exits with code 2, without a stack trace.
 */
export class InputError extends Error {
  constructor(
    message: string,
    /** The file at fault, when there is one. */
    readonly file?: string,
    /** The field path ("fleet[0].gpu") or "line 12" within the file. */
    readonly where?: string,
  ) {
    super(message);
    this.name = 'InputError';
  }

  /** "file: where: message", leaving out the parts that are unknown. */
  format(): string {
    return printable([this.file, this.where, this.message].filter(Boolean).join(': '));
  }
}

/**
 * A file-system failure (ENOSPC, EROFS, EISDIR, ...) as one line naming the file: the user's
 * machine, not a defect, so it is reported like bad input. Other errors pass through unchanged.
 */
export function fileSystemError(err: unknown, file: string, doing: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (err instanceof InputError || typeof code !== 'string' || !/^E[A-Z0-9]+$/.test(code)) return err;
  return new InputError(`cannot ${doing} (${code}${FS_HINTS[code] ? `: ${FS_HINTS[code]}` : ''})`, file);
}

const FS_HINTS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is a file, not a directory',
  ENOENT: 'no such file or directory',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
};

/**
 * `s` with control characters and other non-printing code points escaped (\x1b, \u2028), so a
 * message quoting a binary or hostile file cannot garble the terminal or split into lines.
 */
export function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffd]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
