import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { afterAll } from 'vitest';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CLI = join(ROOT, 'dist/cli/main.js');
const WORKER = join(ROOT, 'dist/experiment/point-worker.js');

/** A temp directory for the calling test file, removed after its tests. */
export function tempDir(prefix = 'routesim-sweep-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes an experiment (as YAML) and returns its path. */
export function writeExperiment(dir: string, name: string, experiment: Record<string, unknown>): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify(experiment));
  return file;
}

/** A small, fast experiment: each point simulates a few hundred requests. */
export function smallExperiment(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    seed: 7,
    model: 'Llama-3.1-8B',
    fleet: [{ gpu: 'H100-SXM', count: 2 }],
    workload: { duration: 20, sources: [{ class: 'chat', dataset: 'sharegpt', rate: 6 }] },
    router: { policy: 'least-request' },
    slo: { ttftMs: 1000, tpotMs: 50 },
    ...extra,
  };
}

/** Every file under `dir` (relative path → bytes), for byte-for-byte comparisons of results. */
/** Every file under `dir` by relative path, leaving out the top-level folders in `skip`. */
export function readTree(dir: string, skip: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.isDirectory() && rel === '' && skip.includes(e.name)) continue;
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
      else out[`${rel}${e.name}`] = readFileSync(join(d, e.name), 'latin1');
    }
  };
  walk(dir, '');
  return out;
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Worker threads run compiled JavaScript from dist/ (the pool falls back to it when the tests run
 * the TypeScript in src/). A fresh clone has it from `npm install`; when src/ is newer, rebuild
 * once, under a lock so that test files running in parallel do not build over each other.
 */
export function ensureBuilt(): void {
  const stale = () => !existsSync(WORKER) || !existsSync(CLI) || newestSource(join(ROOT, 'src')) > statSync(WORKER).mtimeMs;
  if (!stale()) return;
  const lock = join(ROOT, 'dist', '.test-build-lock');
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      execFileSync(process.execPath, ['-e', 'setTimeout(() => {}, 200)']);
    }
  }
  try {
    if (stale()) {
      // tsc still emits when another part of the tree has a type error; that part's own tests say so.
      spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', ROOT], { stdio: 'ignore' });
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Runs the CLI (dist/) and returns its exit code and output. */
export function sim(args: string[], cwd = ROOT): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
