import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../input-error.js';

/**
 * Node 20 cannot import TypeScript. For a custom policy written in `.ts`, this transpiles the file
 * with the TypeScript compiler (when it is installed, as it is in a development checkout) into a
 * temporary `.mjs` beside the original, so the module's relative imports still resolve, and calls
 * `load` on it. The temporary file is removed afterwards.
 */
export async function withTranspiledModule<T>(file: string, load: (jsFile: string) => Promise<T>): Promise<T> {
  let ts: typeof import('typescript');
  try {
    ts = (await import('typescript')).default;
  } catch {
    throw new InputError(
      'a .ts policy module needs the typescript package (npm install typescript), or compile it to .js',
      file,
    );
  }
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    throw new InputError('policy module not found', file);
  }
  const out = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
    fileName: file,
  });
  // Type-only imports are erased; relative .js imports keep working next to the original.
  const tmp = join(dirname(file), `.${basename(file, '.ts')}.${randomBytes(4).toString('hex')}.mjs`);
  writeFileSync(tmp, out.outputText);
  try {
    return await load(tmp);
  } finally {
    rmSync(tmp, { force: true });
  }
}
