import { z } from 'zod';
import { loadGpuCatalog, loadModelCatalog } from '../hardware/index.js';
import { knownPdPolicies, knownPolicies } from '../routing/index.js';
import { shippedDefinitionNames } from '../workload/index.js';
import { experimentSchema } from './schema.js';

type JsonSchema = Record<string, unknown>;

/**
 * The JSON Schema of a file format, for editor completion (yaml-language-server), with the names
 * the catalogs know offered for the fields that take them. Each stays open to other strings (a
 * policy mix or module path, a definition file, a user catalog entry): the simulator checks them.
 */
export function editorJsonSchema(schema: z.ZodType = experimentSchema): JsonSchema {
  const json = z.toJSONSchema(schema, { io: 'input' }) as JsonSchema;
  const names: Record<string, string[]> = {
    gpu: loadGpuCatalog().names(),
    model: loadModelCatalog().names(),
    policy: [...knownPolicies(), ...knownPdPolicies()],
    dataset: shippedDefinitionNames(),
  };
  walk(json, (props) => {
    for (const [field, known] of Object.entries(names)) {
      const p = props[field] as JsonSchema | undefined;
      if (p && p.type === 'string') props[field] = withNames(p, known);
    }
  });
  return json;
}

function withNames(p: JsonSchema, known: string[]): JsonSchema {
  const { type: _type, minLength: _min, ...rest } = p;
  return { ...rest, anyOf: [{ type: 'string', enum: [...new Set(known)] }, { type: 'string', minLength: 1 }] };
}

/** Calls `visit` on every `properties` object in the schema. */
function walk(node: unknown, visit: (props: JsonSchema) => void): void {
  if (Array.isArray(node)) {
    for (const x of node) walk(x, visit);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const o = node as JsonSchema;
  if (o.properties && typeof o.properties === 'object') visit(o.properties as JsonSchema);
  for (const v of Object.values(o)) walk(v, visit);
}
