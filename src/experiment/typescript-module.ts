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
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'policy module not found' : `cannot read policy module (${code ?? String(err)})`, file);
  }
  const out = ts.transpileModule(source, {
    // The inline source map points stack traces at the user's .ts file and line, not at the
    // temporary file (which is gone by the time a policy fails).
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false, inlineSourceMap: true, inlineSources: true },
    fileName: basename(file),
    reportDiagnostics: true,
  });
  // transpileModule reports syntax errors only; type errors are the user's type checker's business.
  const syntax = out.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error);
  if (syntax) {
    const line = syntax.file && syntax.start !== undefined ? syntax.file.getLineAndCharacterOfPosition(syntax.start) : undefined;
    const text = ts.flattenDiagnosticMessageText(syntax.messageText, ' ');
    throw new InputError(`syntax error in policy module: ${text}`, file, line ? `line ${line.line + 1}, column ${line.character + 1}` : undefined);
  }
  process.setSourceMapsEnabled(true);
  // Type-only imports are erased; relative .js imports keep working next to the original.
  const tmp = join(dirname(file), `.${basename(file, '.ts')}.${randomBytes(4).toString('hex')}.mjs`);
  writeFileSync(tmp, out.outputText, { flag: 'wx' });
  try {
    return await load(tmp);
  } finally {
    rmSync(tmp, { force: true });
  }
}
