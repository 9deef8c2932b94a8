/**
 * deploy/: the image (Containerfile), its entrypoint and the Indexed Job manifest must agree on
 * the shard arguments. No cluster here: the test reads the manifest as Kubernetes would (each
 * pod gets JOB_COMPLETION_INDEX, `$(VAR)` in args is replaced by the container's variables), runs
 * the image's entrypoint once per index against this checkout, merges the shards as
 * merge-job.yaml does, and compares with a one-machine run byte for byte.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cleanup, listFiles, tempDir } from '../experiment/fixtures.js';

const ROOT = resolve(__dirname, '../..');
const DEPLOY = join(ROOT, 'deploy');

interface Container {
  image: string;
  command?: string[];
  args: string[];
  env?: { name: string; value: string }[];
  volumeMounts: { name: string; mountPath: string }[];
}

interface JobManifest {
  kind: string;
  spec: {
    completionMode?: string;
    completions?: number;
    parallelism?: number;
    template: { spec: { containers: Container[] } };
  };
}

const job = parse(readFileSync(join(DEPLOY, 'sweep-job.yaml'), 'utf8')) as JobManifest;
const merge = parse(readFileSync(join(DEPLOY, 'merge-job.yaml'), 'utf8')) as JobManifest;
const containerfile = readFileSync(join(DEPLOY, 'Containerfile'), 'utf8');
const container = job.spec.template.spec.containers[0];
const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));

/** The value of a Containerfile instruction (the last one of its kind). */
function instruction(name: string): string {
  const lines = containerfile.split('\n').filter((l) => l.startsWith(`${name} `));
  return lines.at(-1)!.slice(name.length + 1).trim();
}

/** `$(NAME)` replaced from the container's variables, as the kubelet does for args. */
function expand(arg: string, vars: Record<string, string>): string {
  return arg.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => vars[name] ?? whole);
}

afterAll(cleanup);

describe('deploy/: image and Indexed Job', () => {
  it('the manifest leaves the entrypoint to the image, which adds --shard from the completion index', () => {
    expect(job.kind).toBe('Job');
    expect(job.spec.completionMode).toBe('Indexed');
    // N in the shard argument is SHARDS; every index 0..completions-1 must be one shard.
    expect(Number(env.SHARDS)).toBe(job.spec.completions);
    expect(job.spec.parallelism).toBeLessThanOrEqual(job.spec.completions!);
    expect(container.command).toBeUndefined();
    expect(container.args).not.toContain('--shard');
    expect(container.args).toContain('--resume');
    // Every pod writes its own directory on the shared volume.
    const out = container.args[container.args.indexOf('--out') + 1];
    expect(out).toContain('$(JOB_COMPLETION_INDEX)');
    expect(container.volumeMounts.some((m) => out.startsWith(`${m.mountPath}/`))).toBe(true);

    expect(instruction('FROM')).toMatch(/node:20/);
    expect(containerfile).toMatch(/^RUN npm ci\b/m);
    const entry = JSON.parse(instruction('ENTRYPOINT')) as string[];
    expect(containerfile).toContain(`COPY deploy/entrypoint.sh ${entry[0]}`);
    // The entrypoint finds the CLI under the image's working directory.
    expect(readFileSync(join(DEPLOY, 'entrypoint.sh'), 'utf8')).toContain(`\${ROUTESIM_HOME:-${instruction('WORKDIR')}}/dist/cli/main.js`);
    // The experiment the pods run is in the image.
    expect(existsSync(join(ROOT, container.args[1]))).toBe(true);
    expect(containerfile).toContain(`COPY ${container.args[1].split('/')[0]} ./`);
    expect(merge.spec.template.spec.containers[0].image).toBe(container.image);
  });

  it('runs every index through the entrypoint; the merged shards are the one-machine bytes', { timeout: 180_000 }, () => {
    const dir = tempDir();
    const mount = container.volumeMounts[0].mountPath;
    // The shared volume is a temporary directory; the image's /app is this checkout.
    const here = (p: string) => p.replace(mount, join(dir, 'volume'));
    for (let index = 0; index < job.spec.completions!; index++) {
      const vars = { ...env, JOB_COMPLETION_INDEX: String(index) };
      const args = container.args.map((a) => here(expand(a, vars)));
      const r = spawnSync(join(DEPLOY, 'entrypoint.sh'), args, {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, ...vars, ROUTESIM_HOME: ROOT },
      });
      expect(r.stderr).toContain(`shard ${index + 1}/${env.SHARDS} done`);
      expect(r.status).toBe(0);
    }
    // merge-job.yaml's command, with the glob the shell would expand.
    const command = merge.spec.template.spec.containers[0].args[0];
    const m = /merge (\S+)\/shard-\*\/(\S+) --out (\S+)/.exec(command);
    expect(m).not.toBeNull();
    const name = m![2];
    const shards = Array.from({ length: job.spec.completions! }, (_, i) => join(here(m![1]), `shard-${i}`, name));
    const cli = join(ROOT, 'dist/cli/main.js');
    const merged = spawnSync(process.execPath, [cli, 'merge', ...shards, '--out', here(m![3])], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(merged.status).toBe(0);
    const single = spawnSync(process.execPath, [cli, 'run', container.args[1], '--out', join(dir, 'single'), '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(single.status).toBe(0);
    const files = (d: string) => Object.fromEntries(listFiles(d).map((f) => [f, readFileSync(join(d, f), 'latin1')]));
    const want = files(join(dir, 'single', name));
    expect(Object.keys(want)).toContain('summary.csv');
    expect(files(join(here(m![3]), name))).toEqual(want);
  });
});
