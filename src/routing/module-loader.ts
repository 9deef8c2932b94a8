import { PolicyModuleError } from './errors.js';
import type { PolicyFactory, PolicyOptions, RoutingPolicy } from './policy.js';

/**
 * Loads a custom policy from a module file. The module must export either a default factory
 * function `(options) => RoutingPolicy` or a named `createPolicy` factory. `.js`/`.mjs` load
 * under plain Node; `.ts` loads when Node runs with a TypeScript loader (tsx, vitest, Node's
 * type stripping). The returned factory checks that what it builds has a `name` and a `select`.
 * Throws PolicyModuleError naming what is missing.
 */
export async function loadPolicyModule(path: string): Promise<PolicyFactory> {
  const { pathToFileURL } = await import('node:url');
  const { resolve } = await import('node:path');
  const abs = resolve(path);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = err instanceof Error ? err.message : String(err);
    if (code === 'ERR_MODULE_NOT_FOUND' && why.includes(abs)) {
      throw new PolicyModuleError(`policy module not found: ${abs}`, path, { cause: err });
    }
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION') {
      throw new PolicyModuleError(
        `cannot load ${abs}: Node has no loader for this file type; compile it to .js or run with a TypeScript loader (e.g. tsx)`,
        path,
        { cause: err },
      );
    }
    throw new PolicyModuleError(`cannot load policy module ${abs}: ${why}`, path, { cause: err });
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
      `policy module ${abs} must export a factory function as its default export or as "createPolicy" ` +
        `((options) => ({ name, select(req, endpoints, ctx) })); ${found}${hint}`,
      path,
    );
  }
  const make = factory as (options: PolicyOptions) => unknown;
  return (options: PolicyOptions) => {
    const policy = make(options) as Partial<RoutingPolicy> | undefined;
    const missing: string[] = [];
    if (typeof policy !== 'object' || policy === null) {
      throw new PolicyModuleError(`the ${which} of ${abs} returned ${describe(policy)}, not a policy object`, path);
    }
    if (typeof policy.name !== 'string' || policy.name === '') missing.push('"name" (a non-empty string)');
    if (typeof policy.select !== 'function') missing.push('"select(req, endpoints, ctx)" (a function)');
    for (const hook of ['onDispatch', 'onComplete', 'onFirstToken'] as const) {
      if (policy[hook] !== undefined && typeof policy[hook] !== 'function') missing.push(`"${hook}" must be a function when present`);
    }
    if (missing.length > 0) {
      throw new PolicyModuleError(`the policy built by the ${which} of ${abs} is missing ${missing.join(', ')}`, path);
    }
    return policy as RoutingPolicy;
  };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}
