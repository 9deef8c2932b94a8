import { UnknownOptionError } from './errors.js';
import type { PolicyOptions } from './policy.js';

/** Options a host adds for every policy (the simulator passes AIBrix profiles to all). */
const HOST_OPTIONS = new Set(['profiles', 'model']);

/**
 * Builds a policy with `options` and rejects keys it never read: a misspelled option would
 * otherwise be ignored in silence. The factory's reads (including of keys that are absent) also
 * name the options it knows. A factory that enumerates the options is trusted with all of them.
 */
export function withOptionCheck<P>(policy: string, options: PolicyOptions, build: (options: PolicyOptions) => P): P {
  const read = new Set<string>();
  let enumerated = false;
  const tracked = new Proxy(options as Record<string, unknown>, {
    get(target, key, receiver) {
      if (typeof key === 'string') read.add(key);
      return Reflect.get(target, key, receiver);
    },
    has(target, key) {
      if (typeof key === 'string') read.add(key);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      enumerated = true;
      return Reflect.ownKeys(target);
    },
  });
  const built = build(tracked);
  if (enumerated) return built;
  const unknown = Object.keys(options).filter((k) => !read.has(k) && !HOST_OPTIONS.has(k));
  if (unknown.length > 0) {
    const known = [...read].filter((k) => !HOST_OPTIONS.has(k)).sort();
    throw new UnknownOptionError(
      `${policy}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}; ` +
        `it reads ${known.length > 0 ? known.map((k) => `"${k}"`).join(', ') : 'no options'}`,
      unknown[0],
    );
  }
  return built;
}
