/**
 * A real Slurm cluster of one node, on this machine: scripts/slurm-e2e.sh installs Slurm and munge
 * when missing, starts the daemons, runs a shipped sweep as the job array of `sim slurm submit`,
 * merges it with `sim slurm merge` and compares the merged directory byte for byte with a
 * one-machine run, then stops what it started.
 *
 * Where the machine does not allow it (not Linux, not root, not Debian, no Slurm and no apt, or
 * daemons that cannot run here) the script exits 77 and the test is skipped, saying why; with
 * ROUTESIM_SLURM_REQUIRED=1 a skip is a failure. Anything else that goes wrong (the array script,
 * a task, the merge, a byte that differs) fails the test.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = `${ROOT}scripts/slurm-e2e.sh`;
const SKIPPED = 77;
/** Install (a fresh machine), start, a 14-point sweep twice, merge: well within this. */
const LIMIT_MS = 8 * 60_000;

/** Why this machine cannot run the script at all, before trying. */
function unsupported(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (installing Slurm and starting its daemons needs root)';
  if (!existsSync('/etc/debian_version')) return 'not Debian';
  if (!existsSync(`${ROOT}dist/cli/main.js`)) return 'dist/ is not built (npm run build)';
  return undefined;
}

function runScript(): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn('bash', [SCRIPT], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    // The script bounds every wait itself; this is the backstop. SIGTERM lets its trap clean up.
    const timer = setTimeout(() => child.kill('SIGTERM'), LIMIT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}

describe('Slurm, for real', () => {
  it('runs a sweep as a job array whose merged results are byte-identical to one machine', { timeout: LIMIT_MS + 30_000 }, async (ctx) => {
    const required = process.env.ROUTESIM_SLURM_REQUIRED === '1';
    const why = unsupported();
    if (why) {
      if (required) throw new Error(`Slurm test required but the machine does not allow it: ${why}`);
      console.log(`skipping the Slurm test: ${why}`);
      ctx.skip(why);
    }
    const { code, output } = await runScript();
    const last = output.trim().split('\n').at(-1) ?? '';
    if (code === SKIPPED && !required) {
      console.log(`skipping the Slurm test: ${last}`);
      ctx.skip(last);
    }
    // The run's own account: wall times, task states and the byte comparison.
    console.log(output.split('\n').filter((l) => /^\[slurm-e2e|^ {2}job |^Submitted/.test(l)).join('\n'));
    expect(code, output).toBe(0);
    expect(output).toMatch(/byte-identical: \d+ files/);
    expect(last).toBe('PASS');
  });
});
