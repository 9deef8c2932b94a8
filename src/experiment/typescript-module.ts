import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError } from '../input-error.js';

/**
 * Node 20 cannot import TypeScript. For a custom policy written in `.ts`, this transpiles the file
 * with the TypeScript compiler (when it is installed, as it is in a development checkout) into a
 * private temporary directory (never next to the user's files), and calls `load` on the result.
 * Relative imports are rewritten to absolute file URLs: `.js` files load from where they are,
 * `.ts` files are transpiled the same way, recursively. An inline source map points stack traces
 * at the user's `.ts` file and line. The temporary directory is removed once loaded.
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
  process.setSourceMapsEnabled(true);
  const tmp = mkdtempSync(join(tmpdir(), 'routesim-policy-'));
  try {
    return await load(transpile(ts, resolve(file), tmp, new Map()));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Writes `file` transpiled into `tmp` (once; `done` also ends import cycles) and returns that path. */
function transpile(ts: typeof import('typescript'), file: string, tmp: string, done: Map<string, string>): string {
  const known = done.get(file);
  if (known !== undefined) return known;
  const out = join(tmp, `${done.size}-${basename(file, '.ts')}.mjs`);
  done.set(file, out);
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'policy module not found' : `cannot read policy module (${code ?? String(err)})`, file);
  }
  const result = ts.transpileModule(source, {
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: false,
      inlineSourceMap: true,
      inlineSources: true,
      // Stack frames then name the original file, wherever the compiled one lives.
      sourceRoot: `${pathToFileURL(dirname(file)).href}/`,
    },
    fileName: basename(file),
    reportDiagnostics: true,
  });
  // transpileModule reports syntax errors only; type errors are the user's type checker's business.
  const syntax = result.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error);
  if (syntax) {
    const line = syntax.file && syntax.start !== undefined ? syntax.file.getLineAndCharacterOfPosition(syntax.start) : undefined;
    const text = ts.flattenDiagnosticMessageText(syntax.messageText, ' ');
    throw new InputError(`syntax error in policy module: ${text}`, file, line ? `line ${line.line + 1}, column ${line.character + 1}` : undefined);
  }
  // Type-only imports are erased; the others are made absolute (the compiled file lives elsewhere).
  const code = result.outputText.replace(/(\bfrom\s*|\bimport\s*\(?\s*)(['"])(\.{1,2}\/[^'"]+)\2/g, (_m, lead: string, q: string, spec: string) => {
    const target = resolve(dirname(file), spec);
    const url = pathToFileURL(target.endsWith('.ts') ? transpile(ts, target, tmp, done) : target).href;
    return `${lead}${q}${url}${q}`;
  });
  writeFileSync(out, code, { flag: 'wx' });
  return out;
}
