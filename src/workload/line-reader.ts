import { closeSync, openSync, readSync } from 'node:fs';
import { InputError } from '../input-error.js';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Reads a text file line by line with synchronous chunked reads into one reusable buffer, so the
 * simulator can pull requests synchronously and a trace never has to fit in memory. The buffer
 * grows only when a single line is longer than it (AIBrix lines carry whole prompts).
 *
 * The file is opened for each chunk and closed right after, so a stream abandoned half-way (a run
 * that stops at its duration) leaves no file descriptor behind.
 */
export class LineReader {
  private buffer: Buffer;
  private start = 0;
  private end = 0;
  private position = 0;
  private eof = false;
  /** 1-based number of the line most recently returned (0 before the first). */
  lineNumber = 0;

  constructor(
    readonly file: string,
    bufferSize = 64 * 1024,
  ) {
    this.buffer = Buffer.allocUnsafe(Math.max(16, bufferSize));
    // Open once up front so a missing file fails at open time, not at the first request.
    closeSync(openFile(file));
  }

  /** The next line without its line ending, or undefined at the end of the file. */
  next(): string | undefined {
    for (;;) {
      const nl = this.end > this.start ? this.buffer.indexOf(NEWLINE, this.start) : -1;
      if (nl >= 0 && nl < this.end) {
        const line = this.decode(this.start, nl);
        this.start = nl + 1;
        this.lineNumber++;
        return line;
      }
      if (this.eof) {
        if (this.start >= this.end) return undefined;
        const line = this.decode(this.start, this.end);
        this.start = this.end;
        this.lineNumber++;
        return line;
      }
      this.fill();
    }
  }

  private decode(from: number, to: number): string {
    if (to > from && this.buffer[to - 1] === CARRIAGE_RETURN) to--;
    return this.buffer.toString('utf8', from, to);
  }

  /** Moves the unread tail to the front (growing the buffer if it is full) and reads a chunk. */
  private fill(): void {
    const pending = this.end - this.start;
    if (pending === this.buffer.length) {
      const bigger = Buffer.allocUnsafe(this.buffer.length * 2);
      this.buffer.copy(bigger, 0, this.start, this.end);
      this.buffer = bigger;
    } else if (this.start > 0) {
      this.buffer.copy(this.buffer, 0, this.start, this.end);
    }
    this.start = 0;
    this.end = pending;
    const fd = openFile(this.file);
    let n: number;
    try {
      n = readSync(fd, this.buffer, this.end, this.buffer.length - this.end, this.position);
    } finally {
      closeSync(fd);
    }
    if (n === 0) this.eof = true;
    this.position += n;
    this.end += n;
  }
}

function openFile(file: string): number {
  try {
    return openSync(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'file not found' : `cannot read file (${code})`, file);
  }
}
