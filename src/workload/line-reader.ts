import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { fileSystemError, InputError } from '../input-error.js';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
/** Longest line accepted: far beyond a whole prompt per line, short of a string Node cannot hold. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

/**
 * Reads a text file line by line with synchronous chunked reads into one reusable buffer, so the
 * simulator can pull requests synchronously and a trace never has to fit in memory. The buffer
 * grows only when a single line is longer than it (AIBrix lines carry whole prompts).
 *
 * The file is opened for each chunk and closed right after, so a stream abandoned half-way (a run
 * that stops at its duration) leaves no file descriptor behind. Only regular files are read (a
 * directory, /dev/zero or a FIFO is refused up front), a line longer than MAX_LINE_BYTES is an
 * error naming it, a UTF-8 byte-order mark at the start is skipped, and a compressed file is
 * recognised by its magic bytes.
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
    const fd = openFile(file);
    try {
      const st = fstatSync(fd);
      if (st.isDirectory()) throw new InputError('is a directory, not a trace file', file);
      if (!st.isFile()) throw new InputError('is not a regular file (a device, FIFO or socket cannot be replayed)', file);
      const head = Buffer.alloc(4);
      const n = readSync(fd, head, 0, 4, 0);
      const magic = MAGIC.find((m) => n >= m.bytes.length && m.bytes.every((b, i) => head[i] === b));
      if (magic) throw new InputError(`is a ${magic.name} file; decompress it first (traces are read as text)`, file);
    } catch (err) {
      throw fileSystemError(err, file, 'read file');
    } finally {
      closeSync(fd);
    }
  }

  /** The next line without its line ending, or undefined at the end of the file. */
  next(): string | undefined {
    for (;;) {
      const nl = this.end > this.start ? this.buffer.indexOf(NEWLINE, this.start) : -1;
      if (nl >= 0 && nl < this.end) {
        if (nl - this.start > MAX_LINE_BYTES) this.tooLong();
        const line = this.decode(this.start, nl);
        this.start = nl + 1;
        this.lineNumber++;
        return line;
      }
      if (this.eof) {
        if (this.start >= this.end) return undefined;
        if (this.end - this.start > MAX_LINE_BYTES) this.tooLong();
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
    // A UTF-8 byte-order mark (EF BB BF) that some editors put at the start of a file.
    if (this.lineNumber === 0 && to - from >= 3 && this.buffer[from] === 0xef && this.buffer[from + 1] === 0xbb && this.buffer[from + 2] === 0xbf) from += 3;
    return this.buffer.toString('utf8', from, to);
  }

  private tooLong(): never {
    throw new InputError(`line is longer than ${MAX_LINE_BYTES / (1024 * 1024)} MiB (is this a text trace?)`, this.file, `line ${this.lineNumber + 1}`);
  }

  /** Moves the unread tail to the front (growing the buffer if it is full) and reads a chunk. */
  private fill(): void {
    const pending = this.end - this.start;
    if (pending === this.buffer.length) {
      if (pending > MAX_LINE_BYTES) this.tooLong();
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
    } catch (err) {
      throw fileSystemError(err, this.file, 'read file');
    } finally {
      closeSync(fd);
    }
    if (n === 0) this.eof = true;
    this.position += n;
    this.end += n;
  }
}

/** Compressed formats a trace is sometimes handed over in. */
const MAGIC = [
  { name: 'gzip', bytes: [0x1f, 0x8b] },
  { name: 'zstd', bytes: [0x28, 0xb5, 0x2f, 0xfd] },
  { name: 'bzip2', bytes: [0x42, 0x5a, 0x68] },
  { name: 'xz', bytes: [0xfd, 0x37, 0x7a, 0x58] },
  { name: 'zip', bytes: [0x50, 0x4b, 0x03, 0x04] },
];

function openFile(file: string): number {
  try {
    // Opening a FIFO blocks until something writes to it: look before opening.
    const st = statSync(file);
    if (st.isFIFO() || st.isSocket()) throw new InputError('is not a regular file (a device, FIFO or socket cannot be replayed)', file);
    return openSync(file, 'r');
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'file not found' : `cannot read file (${code})`, file);
  }
}
