import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The arrows of DESIGN.md ("the house"), as the import graph of src/ must keep them. A part is a
 * directory under src/ (files directly under src/ are `input`: YAML/zod error formatting, a leaf);
 * engine/random.ts is the `random` leaf; src/index.ts is the package's entry point (`api`). Layers may import any part below them in the chain
 * cli -> plan -> experiment -> cluster -> serving -> hardware, plus the arrows listed per part.
 */
const ALLOWED: Record<string, readonly string[]> = {
  input: [],
  random: [],
  engine: ['random'],
  routing: [],
  hardware: ['input'],
  workload: ['random', 'input'],
  metrics: [],
  serving: ['engine', 'hardware', 'input'],
  cluster: ['serving', 'hardware', 'routing', 'workload', 'metrics', 'engine', 'random', 'input'],
  experiment: ['cluster', 'serving', 'hardware', 'routing', 'workload', 'metrics', 'report', 'engine', 'random', 'input'],
  plan: ['experiment', 'cluster', 'serving', 'hardware', 'routing', 'workload', 'metrics', 'report', 'engine', 'random', 'input'],
  report: ['metrics', 'input'],
  'llm-http': [],
  gateway: ['routing', 'llm-http', 'input'],
  serve: ['serving', 'hardware', 'engine', 'random', 'llm-http', 'input'],
  load: ['workload', 'metrics', 'llm-http', 'random', 'input'],
  fidelity: ['experiment', 'cluster', 'serving', 'hardware', 'routing', 'workload', 'metrics', 'report', 'engine', 'random', 'input'],
  slurm: ['plan', 'experiment', 'input'],
  cli: ['load', 'llm-http', 'slurm', 'plan', 'experiment', 'cluster', 'serving', 'hardware', 'routing', 'workload', 'metrics', 'report', 'gateway', 'serve', 'fidelity', 'engine', 'random', 'input'],
  api: ['experiment', 'metrics', 'input'],
  bench: ['cli', 'plan', 'experiment', 'cluster', 'serving', 'hardware', 'routing', 'workload', 'metrics', 'report', 'engine', 'random', 'input'],
};

/** Type-only arrows: the report reads result types defined by the experiment store, never runs it. */
const TYPE_ONLY: Record<string, readonly string[]> = {
  report: ['experiment'],
  load: ['experiment'],
};

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

function partOf(file: string): string {
  const rel = relative(SRC, file).split(sep);
  if (rel.length === 1) return rel[0] === 'index.ts' ? 'api' : 'input';
  if (rel[0] === 'engine' && rel[1] === 'random.ts') return 'random';
  return rel[0];
}

interface Arrow {
  from: string;
  to: string;
  file: string;
  spec: string;
  typeOnly: boolean;
}

/** Relative imports, static and dynamic, with whether the static ones are `import type`. */
function arrows(file: string): Arrow[] {
  const text = readFileSync(file, 'utf8');
  const found: Arrow[] = [];
  const re = /(?:^|\n)\s*(import\s+type\s|import\s|export\s+type\s|export\s)[^'";]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const spec = m[2] ?? m[3];
    const typeOnly = m[1] !== undefined && /type\s$/.test(m[1]);
    const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
    found.push({ from: partOf(file), to: partOf(target), file: relative(SRC, file), spec, typeOnly });
  }
  return found;
}

function violations(found: readonly Arrow[]): string[] {
  return found
    .filter((a) => a.from !== a.to)
    .filter((a) => !ALLOWED[a.from]?.includes(a.to) && !(a.typeOnly && TYPE_ONLY[a.from]?.includes(a.to)))
    .map((a) => `${a.file}: ${a.from} -> ${a.to} (${a.spec})`);
}

describe('dependency arrows of the design', () => {
  const files = sourceFiles(SRC);
  const all = files.flatMap(arrows);

  it('finds the sources and their imports', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(all.some((a) => a.from === 'cli' && a.to === 'experiment')).toBe(true);
  });

  it('every part of src/ is a part the design names', () => {
    const unknown = [...new Set(files.map(partOf))].filter((p) => !(p in ALLOWED));
    expect(unknown).toEqual([]);
  });

  it('no import crosses parts against the arrows', () => {
    expect(violations(all)).toEqual([]);
  });

  it('the routing library imports nothing of ours', () => {
    expect(all.filter((a) => a.from === 'routing' && a.to !== 'routing').map((a) => a.file)).toEqual([]);
  });

  it('the checker rejects an arrow the design does not allow', () => {
    const arrow = (from: string, to: string, typeOnly: boolean): Arrow => ({ from, to, file: `${from}/x.ts`, spec: `../${to}/y.js`, typeOnly });
    expect(violations([arrow('serving', 'cluster', false)])).toHaveLength(1);
    expect(violations([arrow('routing', 'engine', true)])).toHaveLength(1);
    expect(violations([arrow('report', 'experiment', false)])).toHaveLength(1);
    expect(violations([arrow('report', 'experiment', true), arrow('cluster', 'serving', false)])).toEqual([]);
    expect(arrows(join(SRC, 'report', 'compare.ts')).some((a) => a.to === 'experiment' && a.typeOnly)).toBe(true);
    expect(partOf(join(SRC, 'engine', 'random.ts'))).toBe('random');
    expect(partOf(join(SRC, 'input-error.ts'))).toBe('input');
  });
});
