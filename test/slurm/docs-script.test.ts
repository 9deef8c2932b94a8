/**
 * docs/distributed.md shows the job array script as `sim slurm submit` writes it: the script in
 * the docs is regenerated from its own parameters and must come out the same, line for line.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { arrayScript } from '../../src/slurm/array-script.js';

const DOC = readFileSync(resolve(__dirname, '../../docs/distributed.md'), 'utf8');

function field(script: string, re: RegExp): string {
  const m = re.exec(script);
  if (!m) throw new Error(`the script in docs/distributed.md has no match for ${re}`);
  return m[1];
}

describe('docs/distributed.md', () => {
  it('shows the array script that sim slurm submit writes', () => {
    const block = /```bash\n(#!\/bin\/bash\n[\s\S]*?)```/.exec(DOC);
    expect(block).not.toBeNull();
    const shown = block![1];
    const kind = field(shown, /node \S+ (run|plan) /) as 'run' | 'plan';
    const regenerated = arrayScript({
      spec: {
        kind,
        name: field(shown, /--job-name=(\S+)/),
        shards: Number(field(shown, /--array=1-(\d+)/)),
        cwd: field(shown, /\ncd (\S+) \|\| exit 1/),
        file: field(shown, /node \S+ (?:run|plan) (\S+) --shard/),
      },
      dir: field(shown, /--output=(\S+)\/logs\//),
      cli: field(shown, /node (\S+) (?:run|plan) /),
      cpusPerTask: Number(field(shown, /--cpus-per-task=(\d+)/)),
      time: /--time=(\S+)/.exec(shown)?.[1],
      partition: /--partition=(\S+)/.exec(shown)?.[1],
    });
    expect(shown).toBe(regenerated);
  });
});

describe('the array script quotes the paths it is given', () => {
  it('a job directory with spaces and $(...) reaches --out as written, only the task id expanded', () => {
    const dir = "/tmp/job $(touch /tmp/INJECTED) 'x'";
    const script = arrayScript({ spec: { kind: 'run', name: 'n', shards: 2, cwd: '/w', file: 'e.yaml' }, dir, cli: '/c/main.js', cpusPerTask: 1 });
    const word = /--out (.+) --resume/.exec(script)![1];
    const r = spawnSync('bash', ['-c', `printf '%s' ${word}`], { env: { ...process.env, SLURM_ARRAY_TASK_ID: '3' }, encoding: 'utf8' });
    expect(r.stdout).toBe(`${dir}/shards/3`);
  });
});
