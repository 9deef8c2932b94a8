import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { editorJsonSchema } from '../../src/experiment/json-schema.js';
import { runExperimentFile } from '../../src/experiment/run-experiment.js';
import { planSchema } from '../../src/plan/plan-schema.js';
import { sim } from '../cli/harness.js';
import { tempDir } from '../sweep/helpers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = tempDir('routesim-editor-');
type Json = Record<string, any>;

/** Paths of object properties, at any depth (union branches, array items, definitions), without a description. */
function undescribed(node: unknown, path = ''): string[] {
  if (Array.isArray(node)) return node.flatMap((x) => undescribed(x, path));
  if (!node || typeof node !== 'object') return [];
  const o = node as Json;
  const out: string[] = [];
  for (const [k, v] of Object.entries(o.properties ?? {})) {
    const p = `${path}.${k}`;
    if (!(v as Json).description) out.push(p);
    out.push(...undescribed(v, p));
  }
  for (const [k, v] of Object.entries(o)) if (k !== 'properties') out.push(...undescribed(v, path));
  return out;
}

const names = (p: Json) => (p.anyOf as Json[]).find((b) => b.enum)!.enum as string[];

describe('editor support', () => {
  const schema = editorJsonSchema() as Json;

  it('every field of the experiment and plan schemas has a description, workload, engine and router fields included', () => {
    expect(undescribed(schema)).toEqual([]);
    expect(undescribed(editorJsonSchema(planSchema))).toEqual([]);
    // The walk does reach nested fields: a bare field deep in a union branch is found.
    expect(undescribed({ properties: { a: { description: 'x', anyOf: [{ properties: { b: { type: 'number' } } }] } } })).toEqual(['.a.b']);
  });

  it('offers the catalogs\' GPU, model, policy and dataset names, and still accepts other strings', () => {
    expect(names(schema.properties.fleet.items.properties.gpu)).toEqual(expect.arrayContaining(['H100-SXM', 'A10', 'H20']));
    expect(names(schema.properties.model)).toEqual(expect.arrayContaining(['Llama-3.1-8B', 'Qwen2.5-7B']));
    expect(names(schema.properties.router.properties.policy)).toEqual(expect.arrayContaining(['least-request', 'slo', 'sglang-pd']));
    expect(names(schema.properties.workload.properties.sources.items.properties.dataset)).toEqual(expect.arrayContaining(['sharegpt', 'bird']));
    // A policy mix or a module path is not in the list but is valid.
    expect((schema.properties.router.properties.policy.anyOf as Json[]).some((b) => !b.enum && b.type === 'string')).toBe(true);
  });

  it('sim schema --plan prints the plan schema, with GPU names', async () => {
    const r = await sim('schema', '--plan');
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as Json;
    expect(Object.keys(plan.properties)).toEqual(Object.keys((editorJsonSchema(planSchema) as Json).properties));
    expect(plan.properties.candidates).toBeDefined();
    expect(JSON.stringify(plan)).toContain('"H800"');
  });

  it('every shipped experiment and plan file names its schema in dist/', () => {
    const files = [
      ...['experiments', 'experiments/regression', 'experiments/validation', 'plans'].flatMap((d) =>
        readdirSync(join(root, d)).filter((f) => f.endsWith('.yaml')).map((f) => join(root, d, f)),
      ),
    ];
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const first = readFileSync(f, 'utf8').split('\n')[0];
      const m = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
      expect(m, f).not.toBeNull();
      const kind = f.includes('/plans/') ? 'plan' : 'experiment';
      expect(resolve(dirname(f), m![1]), f).toBe(join(root, 'dist', `${kind}.schema.json`));
    }
  });

  it('sim init writes a commented starter experiment that runs, and never overwrites a file', async () => {
    const file = join(dir, 'starter.yaml');
    const r = await sim('init', file);
    expect(r.code).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')[0]).toMatch(/^# yaml-language-server: \$schema=.*experiment\.schema\.json$/);
    expect(text.split('\n').filter((l) => l.includes('#')).length).toBeGreaterThan(10);
    const run = await runExperimentFile(file, { resultsRoot: join(dir, 'results'), workers: 1 });
    expect(run.failures).toEqual([]);
    expect(run.results).toHaveLength(4);
    expect(run.results.every((x) => x.completed > 0)).toBe(true);
    const again = await sim('init', file);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists; not overwriting/);
  }, 120_000);
});
