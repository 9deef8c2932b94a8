import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import type { EndpointRole } from '../routing/index.js';
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

  constructor(file: string, header: DecisionLogHeader) {
    this.out = createWriteStream(file, { flags: 'w' });
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

export function readDecisionLog(file: string): { header: DecisionLogHeader; calls: CoreCall[] } {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  const [first, ...rest] = lines.map((l) => JSON.parse(l, reviver));
  if (!first || first.kind !== 'header') throw new Error(`${file}: not a decision log (no header line)`);
  return { header: first as DecisionLogHeader, calls: rest as CoreCall[] };
}
