import { PolicyModuleError } from './errors.js';
import { guardPolicy } from './guarded-policy.js';
import type { PolicyFactory, PolicyOptions, RoutingPolicy } from './policy.js';
import { frameLabel } from './stack-frame.js';

/**
 * Loads a custom policy from a module file. The module must export either a default factory
 * function `(options) => RoutingPolicy` or a named `createPolicy` factory. `.js`/`.mjs` load
 * under plain Node; `.ts` loads when Node runs with a TypeScript loader (tsx, vitest, Node's
 * type stripping). The returned factory checks that what it builds has a `name` and a `select`.
 * Throws PolicyModuleError naming what is missing.
 *
 * A module is code that runs with the user's rights as it is imported; the policies it builds
 * are held to the contract by guardPolicy (read-only views, `select` returns a candidate).
 * `shownAs`: the file to name in messages when `path` is a compiled stand-in (the `data:` URL of
 * a transpiled .ts original);
 * `label`: how errors while routing name the module (e.g. as the experiment file wrote it, so
 * recorded failures do not depend on where the checkout lives).
 */
/** Loads so far in this thread: each file load gets a module instance of its own (below). */
let loads = 0;

export async function loadPolicyModule(path: string, shownAs?: string, label?: string): Promise<PolicyFactory> {
  const { pathToFileURL } = await import('node:url');
  const { resolve } = await import('node:path');
  // A data: URL is a module compiled in memory (a transpiled .ts); anything else is a file path.
  const inMemory = path.startsWith('data:');
  const loaded = inMemory ? path : resolve(path);
  const abs = shownAs ? resolve(shownAs) : loaded;
  const source = shownAs ?? path;
  // Messages name the module as the experiment wrote it, so recorded failures do not depend on
  // where the files live; the absolute path is what stack frames are matched against.
  const shown = label ?? abs;
  let mod: Record<string, unknown>;
  try {
    // A fresh instance per load (Node caches modules by URL, query included): state a module keeps
    // outside its factory then cannot pass from one point to the next on a worker, so results do
    // not depend on how points are spread over threads. Modules it imports are shared.
    mod = (await import(inMemory ? loaded : `${pathToFileURL(loaded).href}?instance=${++loads}`)) as Record<string, unknown>;
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = err instanceof Error ? err.message : String(err);
    if (code === 'ERR_MODULE_NOT_FOUND' && why.includes(loaded)) {
      throw new PolicyModuleError(`policy module not found: ${shown}`, source, { cause: err });
    }
    if (code === 'ERR_UNSUPPORTED_DIR_IMPORT') {
      throw new PolicyModuleError(`${shown} is a directory: name the module file in it`, source, { cause: err });
    }
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION') {
      throw new PolicyModuleError(
        `cannot load ${shown}: Node has no loader for this file type; compile it to .js or run with a TypeScript loader (e.g. tsx)`,
        path,
        { cause: err },
      );
    }
    const at = errorLocation(err, loaded, abs, shown) ?? (err instanceof SyntaxError && !inMemory ? await syntaxErrorLocation(loaded, shown) : undefined);
    throw new PolicyModuleError(`cannot load policy module ${at ?? shown}: ${err instanceof Error ? `${err.name}: ` : ''}${why}`, source, { cause: err });
  }
  let factory: unknown;
  let which: string;
  if (typeof mod.default === 'function') {
    factory = mod.default;
    which = 'default export';
  } else if (typeof mod.createPolicy === 'function') {
    factory = mod.createPolicy;
    which = 'createPolicy';
  } else {
    const names = Object.keys(mod).filter((k) => k !== '__esModule');
    const found = names.length > 0 ? `it exports: ${names.map((n) => `${n} (${describe(mod[n])})`).join(', ')}` : 'it exports nothing';
    const hint =
      mod.default !== undefined
        ? `; its default export is ${describe(mod.default)}, not a function`
        : mod.createPolicy !== undefined
          ? `; "createPolicy" is ${describe(mod.createPolicy)}, not a function`
          : '';
    throw new PolicyModuleError(
      `policy module ${shown} must export a factory function as its default export or as "createPolicy" ` +
        `((options) => ({ name, select(req, endpoints, ctx) })); ${found}${hint}`,
      path,
    );
  }
  const make = factory as (options: PolicyOptions) => unknown;
  return (options: PolicyOptions) => {
    let policy: Partial<RoutingPolicy> | undefined;
    try {
      policy = make(options) as Partial<RoutingPolicy> | undefined;
    } catch (err) {
      const at = errorLocation(err, loaded, abs, shown);
      throw new PolicyModuleError(`the ${which} of ${at ?? shown} threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`, source, { cause: err });
    }
    const missing: string[] = [];
    if (typeof policy !== 'object' || policy === null) {
      throw new PolicyModuleError(`the ${which} of ${shown} returned ${describe(policy)}, not a policy object`, source);
    }
    if (typeof policy.name !== 'string' || policy.name === '') missing.push('"name" (a non-empty string)');
    if (typeof policy.select !== 'function') missing.push('"select(req, endpoints, ctx)" (a function)');
    for (const hook of ['onDispatch', 'onComplete', 'onFirstToken'] as const) {
      if (policy[hook] !== undefined && typeof policy[hook] !== 'function') missing.push(`"${hook}" must be a function when present`);
    }
    if (missing.length > 0) {
      throw new PolicyModuleError(`the policy built by the ${which} of ${shown} is missing ${missing.join(', ')}`, source);
    }
    return guardPolicy(policy as RoutingPolicy, abs, label ?? abs);
  };
}

/**
 * "file:line:col" of an error inside the module: a SyntaxError's stack starts with the position,
 * other errors have it in a frame. A compiled stand-in's path is shown as the original's.
 */
function errorLocation(err: unknown, loaded: string, abs: string, shown: string): string | undefined {
  return frameLabel(err, [loaded, abs], shown);
}

/**
 * "file:line:col" of a syntax error in a module file: a failed dynamic import does not say where
 * (Node 20), so the file is checked once more with `node --check`, whose report does.
 */
async function syntaxErrorLocation(loaded: string, shown: string): Promise<string | undefined> {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, ['--check', loaded], { encoding: 'utf8', timeout: 10_000 });
  const lines = (r.stderr ?? '').split('\n');
  const head = /:(\d+)$/.exec(lines[0] ?? '');
  if (!head || !lines[0].startsWith(loaded)) return undefined;
  const caret = (lines[2] ?? '').indexOf('^');
  return `${shown}:${head[1]}${caret >= 0 ? `:${caret + 1}` : ''}`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}
