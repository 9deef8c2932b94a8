import type { z } from 'zod';

type Key = string | number;

/** What a zod schema node looks like from the inside (zod 4 keeps its definition under `_zod.def`). */
interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  innerType?: z.ZodType;
  in?: z.ZodType;
  left?: z.ZodType;
  right?: z.ZodType;
  getter?: () => z.ZodType;
}

const def = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/**
 * Whether `keys` name a field that the schema defines, so a sweep over a misspelt path is an
 * error before anything runs. Returns undefined when it does, else the longest prefix that
 * exists and the key that does not ("router", "polcy").
 */
export function missingSchemaKey(schema: z.ZodType, keys: readonly Key[]): { parent: Key[]; key: Key } | undefined {
  let best: { parent: Key[]; key: Key } | undefined;
  const walk = (s: z.ZodType, i: number): boolean => {
    if (i === keys.length) return true;
    const d = def(s);
    const key = keys[i];
    const fail = () => {
      if (!best || best.parent.length < i) best = { parent: keys.slice(0, i) as Key[], key };
      return false;
    };
    switch (d.type) {
      case 'unknown':
      case 'any':
        return true;
      case 'optional':
      case 'nullable':
      case 'default':
      case 'prefault':
      case 'readonly':
      case 'catch':
      case 'nonoptional':
        return walk(d.innerType!, i);
      case 'pipe':
        return walk(d.in!, i);
      case 'lazy':
        return walk(d.getter!(), i);
      case 'intersection':
        return walk(d.left!, i) || walk(d.right!, i);
      case 'union':
        return d.options!.some((o) => walk(o, i));
      case 'object': {
        if (typeof key !== 'string') return fail();
        const field = Object.hasOwn(d.shape!, key) ? d.shape![key] : d.catchall;
        return field && def(field).type !== 'never' ? walk(field, i + 1) : fail();
      }
      case 'record':
        return typeof key === 'string' ? walk(d.valueType!, i + 1) : fail();
      case 'array':
        return typeof key === 'number' ? walk(d.element!, i + 1) : fail();
      default:
        return fail();
    }
  };
  return walk(schema, 0) ? undefined : best ?? { parent: [], key: keys[0] };
}
