import { readFileSync, type WriteStream } from 'node:fs';
import { z } from 'zod';
import { InputError } from '../input-error.js';
import { issueMessage } from '../zod-issue.js';
import type { EndpointRole } from '../routing/index.js';
import { openLogStream } from './log-stream.js';
import type { CoreCall } from './router-core.js';

/** First line of a decision log: the fleet and router the calls were made with. */
export interface DecisionLogHeader {
  kind: 'header';
  policy: string;
  mode: 'push' | 'pull';
  seed: number;
  endpoints: { id: string; gpuType: string; role: EndpointRole; group?: string }[];
}

/** JSON has no NaN or Infinity; the log writes them as strings and reads them back. */
function replacer(_key: string, v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return v;
}

function reviver(_key: string, v: unknown): unknown {
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return v;
}

/** Appends the header and then every routing-library call with its views, one JSON line each. */
export class DecisionLog {
  private readonly out: WriteStream;

  constructor(file: string, header: DecisionLogHeader, onError: (message: string) => void) {
    // 'wx': never replaces a file, even one created after the config was checked.
    this.out = openLogStream(file, 'wx', 'decision log', onError);
    this.out.write(JSON.stringify(header, replacer) + '\n');
  }

  write(call: CoreCall): void {
    this.out.write(JSON.stringify(call, replacer) + '\n');
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(resolve));
  }
}

export function serializeCall(call: CoreCall | DecisionLogHeader): string {
  return JSON.stringify(call, replacer);
}

/** Any number, NaN and the infinities included (the log writes them as strings). */
const num = z.custom<number>((v) => typeof v === 'number', 'a number');

const headerSchema = z.looseObject({
  kind: z.literal('header'),
  policy: z.string(),
  mode: z.enum(['push', 'pull']),
  seed: z.int(),
  endpoints: z.array(z.looseObject({ id: z.string(), gpuType: z.string(), role: z.enum(['unified', 'prefill', 'decode']), group: z.string().optional() })).min(1),
});

const callSchema = z.looseObject({
  call: z.enum(['submit', 'firstToken', 'prefillDone', 'complete', 'capacityChanged']),
  t: num,
  strategy: z.string().optional(),
  req: z.looseObject({ id: z.int() }).optional(),
  endpoint: z.string().optional(),
  info: z.looseObject({}).optional(),
  views: z.array(
    z.looseObject({
      id: z.string(),
      healthy: z.boolean(),
      counters: z.record(z.string(), num),
      metrics: z.record(z.string(), num),
      capacity: z.looseObject({ freeSlots: num, freeKvTokens: num }),
    }),
  ),
  out: z.array(z.looseObject({ kind: z.enum(['dispatch', 'dispatch-pd', 'reject']), id: z.int() })),
});

/** The fields each call needs, beyond its views. */
const NEEDS: Record<CoreCall['call'], ('req' | 'endpoint' | 'info')[]> = {
  submit: ['req'],
  firstToken: ['req', 'endpoint'],
  prefillDone: ['req', 'endpoint'],
  complete: ['req', 'endpoint', 'info'],
  capacityChanged: [],
};

/**
 * Reads a decision log, checking every line against the shape the gateway writes, so a damaged
 * or foreign file is refused with its line number instead of failing inside the replay.
 */
export function readDecisionLog(file: string): { header: DecisionLogHeader; calls: CoreCall[] } {
  const lines = readFileSync(file, 'utf8').split('\n');
  const bad = (n: number, why: string): never => {
    throw new InputError(why, file, `line ${n}`);
  };
  const parse = (n: number): unknown => {
    try {
      return JSON.parse(lines[n - 1], reviver);
    } catch {
      return bad(n, 'not a JSON line');
    }
  };
  const first = headerSchema.safeParse(lines[0] === '' || lines.length === 0 ? undefined : parse(1));
  if (!first.success) bad(1, 'not a decision log written by sim gateway (its first line is the header: policy, mode, seed, endpoints)');
  const header = first.data as DecisionLogHeader;
  const ids = new Set(header.endpoints.map((e) => e.id));
  const calls: CoreCall[] = [];
  for (let n = 2; n <= lines.length; n++) {
    if (lines[n - 1] === '') continue;
    const r = callSchema.safeParse(parse(n));
    if (!r.success) bad(n, `not a routing call: ${issueMessage(r.error.issues[0])}${r.error.issues[0].path.length ? ` (at ${r.error.issues[0].path.join('.')})` : ''}`);
    const c = r.data as unknown as CoreCall;
    for (const need of NEEDS[c.call]) if (c[need] === undefined) bad(n, `a ${c.call} call needs "${need}"`);
    for (const id of [c.endpoint, ...c.views.map((v) => v.id)]) if (id !== undefined && !ids.has(id)) bad(n, `endpoint "${id}" is not in the header`);
    calls.push(c);
  }
  return { header, calls };
}
