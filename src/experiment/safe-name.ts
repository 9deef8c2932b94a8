/**
 * Names that become file or directory names under a results root (experiment names, point ids).
 * One alphabet for both, so a name read back from a manifest can never climb out of its
 * directory: letters, digits, dot, dash and underscore, not "." or "..", and short enough that
 * `<id>.requests.csv.partial` stays under the common 255-byte file-name limit.
 */
export const SAFE_NAME_MAX = 160;
export const SAFE_NAME = /^[A-Za-z0-9._-]+$/;

/** Why `name` is not a safe file name, or undefined when it is. */
export function unsafeNameReason(name: unknown): string | undefined {
  if (typeof name !== 'string') return `expected a string, got ${name === null ? 'null' : typeof name}`;
  if (name.length === 0) return 'is empty';
  if (name.length > SAFE_NAME_MAX) return `is longer than ${SAFE_NAME_MAX} characters`;
  if (!SAFE_NAME.test(name)) return 'may use letters, digits, dot, dash and underscore only';
  if (/^\.+$/.test(name)) return 'may not be "." or ".." (or only dots)';
  return undefined;
}

export function isSafeName(name: unknown): name is string {
  return unsafeNameReason(name) === undefined;
}
