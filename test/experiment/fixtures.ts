/** Experiment files and traces written to temporary directories, for experiment and CLI tests. */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temporary directory; `cleanup()` removes every directory made so far. */
const made: string[] = [];
export function tempDir(prefix = 'routesim-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}
export function cleanup(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function write(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** A small, fast experiment: 30 ShareGPT-like requests on two H100s. */
export const SMALL = `name: small
seed: 3
model: Llama-3.1-8B
fleet:
  - gpu: H100-SXM
    count: 2
workload:
  requests: 30
  sources:
    - class: chat
      dataset: sharegpt
      rate: 20
router:
  policy: least-request
slo:
  ttftMs: 1000
  tpotMs: 50
`;

/** An experiment over a Vidur-format trace in the same directory. */
export function traceExperiment(trace: string, extra = ''): string {
  return `name: traced
seed: 1
model: Llama-3.1-8B
fleet:
  - gpu: A10
    count: 1
workload:
  sources:
    - class: t
      trace: {format: vidur, path: ${trace}}
router:
  policy: round-robin
${extra}`;
}

export const TRACE_HEADER = 'arrived_at,num_prefill_tokens,num_decode_tokens\n';

/** Every file under `dir` (recursively), relative paths. */
export function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p, rel ? `${rel}/${f}` : f);
      else out.push(rel ? `${rel}/${f}` : f);
    }
  };
  walk(dir, '');
  return out.sort();
}

/** Whether any summary.json exists under `dir`. */
export function hasSummary(dir: string): boolean {
  return listFiles(dir).some((f) => f === 'summary.json' || f.endsWith('/summary.json'));
}
