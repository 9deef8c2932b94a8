import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { SimOutcome, SimTask } from './sim-task.js';

/**
 * The key of a simulation: a hash of what determines its outcome (the configuration, the targets
 * and the percentiles), not of where the plan file lies, so every machine computes the same key.
 */
export function simKey(task: SimTask): string {
  const what = JSON.stringify({ label: task.label, config: task.config, slos: task.slos, percentiles: task.percentiles });
  return createHash('sha256').update(what).digest('hex').slice(0, 32);
}

/** JSON keeps NaN and ±Infinity (a TTFT of rejected requests, a percentile of nothing) as tagged strings. */
function encode(_key: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? { $number: String(v) } : v;
}

function decode(_key: string, v: unknown): unknown {
  if (v !== null && typeof v === 'object' && '$number' in v && Object.keys(v).length === 1) return Number((v as { $number: string }).$number);
  return v;
}

function isOutcome(o: unknown): o is SimOutcome {
  const r = o as Partial<SimOutcome> | null;
  return typeof r === 'object' && r !== null && typeof r.label === 'string' && typeof r.completed === 'number' && Array.isArray(r.slos);
}

/**
 * Finished simulations of a plan, one file per simulation in `dir` (sims/<key>.json), exactly as
 * they came out. Shards of a plan share it (a shared volume): each writes its own simulations
 * and reads the others'; a rerun (--resume) reads back what it already did.
 */
export class SimStore {
  private readonly known = new Map<string, SimOutcome>();

  constructor(readonly dir: string) {}

  get(key: string): SimOutcome | undefined {
    const hit = this.known.get(key);
    if (hit) return hit;
    const file = join(this.dir, `${key}.json`);
    if (!existsSync(file)) return undefined;
    let outcome: SimOutcome;
    try {
      outcome = JSON.parse(readFileSync(file, 'utf8'), decode) as SimOutcome;
    } catch {
      return undefined; // damaged (a disk fault, an edit): simulated again and rewritten
    }
    if (!isOutcome(outcome)) return undefined;
    this.known.set(key, outcome);
    return outcome;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  put(key: string, outcome: SimOutcome): void {
    mkdirSync(this.dir, { recursive: true });
    const file = join(this.dir, `${key}.json`);
    // Host and pid: shards on different machines may write into one shared directory.
    const tmp = `${file}.tmp-${hostname()}-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(outcome, encode) + '\n');
    renameSync(tmp, file);
    this.known.set(key, outcome);
  }
}
