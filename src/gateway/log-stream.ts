import { createWriteStream, type WriteStream } from 'node:fs';

/**
 * A gateway log file. A failed write (a full disk, a file created after the config was checked)
 * is reported once through `onError` and the gateway keeps routing: the log is a by-product.
 */
export function openLogStream(file: string, flags: 'wx' | 'a', label: string, onError: (message: string) => void): WriteStream {
  const out = createWriteStream(file, { flags });
  let told = false;
  out.on('error', (err: NodeJS.ErrnoException) => {
    if (told) return;
    told = true;
    onError(`${label} ${file} is not being written (${err.code ?? err.message})`);
  });
  return out;
}
