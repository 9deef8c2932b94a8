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
    return [this.file, this.where, this.message].filter(Boolean).join(': ');
  }
}
