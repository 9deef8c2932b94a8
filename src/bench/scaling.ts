/**
 * Scaling figures for `npm run bench`: CPU time per simulated request across policies and
 * instance counts, across request counts (with peak memory), and the CLI's start-up time, each
 * with its growth exponent (the slope of log cost over log size: 0 = flat, 1 = linear), so a
 * regression in scaling shows as a larger exponent.
 *
 * Every measurement runs in a child process (`node dist/bench/main.js --cell <file>`), so peak RSS
 * and JIT state belong to that run alone. CPU time (process.cpuUsage around the run, module
 * loading excluded) is reported rather than wall time: the machine may be shared.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { profilesDir } from '../hardware/profiles-dir.js';

const MAIN = join(fileURLToPath(new URL('.', import.meta.url)), 'main.js');
const CLI = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'cli', 'main.js');

export interface CellResult {
  requests: number;
  cpuS: number;
  peakRssMB: number;
}

/** Offered load per instance, req/s (the 8x H100 bench's 60 req/s). */
const RATE_PER_INSTANCE = 7.5;

interface PolicyCase {
  label: string;
  router: Record<string, unknown>;
  /** Split the instances into prefill and decode halves. */
  pd?: boolean;
}

const POLICIES: PolicyCase[] = [
  { label: 'round-robin', router: { policy: 'round-robin' } },
  { label: 'least-request', router: { policy: 'least-request' } },
  { label: 'prefix-cache', router: { policy: 'prefix-cache' } },
  { label: 'slo (pull)', router: { policy: 'slo', mode: 'pull', profiles: join(profilesDir(), 'aibrix', 'qwen2.5-7b') } },
  { label: 'pd (1:1 P/D)', router: { policy: 'pd' }, pd: true },
];

function experiment(name: string, instances: number, requests: number, c: PolicyCase): Record<string, unknown> {
  const fleet = c.pd
    ? [
        { gpu: 'H800', count: instances / 2, role: 'prefill' },
        { gpu: 'H800', count: instances / 2, role: 'decode' },
      ]
    : [{ gpu: 'H800', count: instances }];
  return {
    name,
    seed: 1,
    model: 'Qwen2.5-7B',
    fleet,
    workload: { requests, sources: [{ class: 'sharegpt', dataset: 'sharegpt', rate: RATE_PER_INSTANCE * instances }] },
    router: c.router,
    slo: { ttftMs: 1000, tpotMs: 50 },
  };
}

/** Runs one experiment file in a child process; undefined (with the error printed) if it failed. */
function cell(dir: string, exp: Record<string, unknown>): CellResult | undefined {
  const file = join(dir, `${exp.name as string}.yaml`);
  writeFileSync(file, stringify(exp));
  const out = spawnSync(process.execPath, [MAIN, '--cell', file, join(dir, 'results')], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = out.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as CellResult;
  } catch {
    process.stdout.write(`  (cell ${exp.name as string} failed: ${(out.stderr || line).split('\n')[0]})\n`);
    return undefined;
  }
}

/** Least-squares slope of log(y) over log(x). */
export function growthExponent(xs: readonly number[], ys: readonly number[]): number {
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
  const my = ly.reduce((a, b) => a + b, 0) / ly.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < lx.length; i++) {
    num += (lx[i] - mx) * (ly[i] - my);
    den += (lx[i] - mx) ** 2;
  }
  return den > 0 ? num / den : 0;
}

const us = (r: CellResult) => (r.cpuS / r.requests) * 1e6;

/**
 * Policy x instance-count matrix at a fixed request count: CPU microseconds per request. At a fixed
 * request count the simulated span shrinks as the fleet grows (6.5 s at 1,024 instances), so the
 * large fleets' figures carry their ramp-up, drain and end-of-run summary over few requests. The
 * last column adds the steady-state cost: each policy also runs at 2R and 4R requests on 8 and 1,024
 * instances, and (CPU(4R) - CPU(2R)) / 2R is what one more request costs once the fleet is loaded:
 * start-up, ramp-up and drain are in both runs and cancel. (At R and 2R they do not: 1,024
 * instances are still filling up when 2R requests have arrived, and each request then takes about
 * twice the engine steps it takes in steady state.)
 */
export function policyMatrix(dir: string, instances: readonly number[], requests: number): void {
  mkdirSync(dir, { recursive: true });
  process.stdout.write(
    `Policy x instances: ${requests} ShareGPT-like requests, H800 Qwen2.5-7B, ${RATE_PER_INSTANCE} req/s per instance; CPU us per request (req per CPU-s)\n`,
  );
  process.stdout.write(
    `  ${'policy'.padEnd(15)}${instances.map((n) => String(n).padStart(16)).join('')}   exponent  1024 vs 8  steady 8 / 1024 us (ratio)\n`,
  );
  for (const c of POLICIES) {
    const costs: number[] = [];
    const cells: string[] = [];
    const name = (n: number, r: number) => `scale-${c.label.replace(/\W+/g, '-')}-${n}${r === requests ? '' : `-${r}`}`;
    for (const n of instances) {
      const r = cell(dir, experiment(name(n, requests), n, requests, c));
      costs.push(r ? us(r) : NaN);
      cells.push(r ? `${us(r).toFixed(1)} (${Math.round(r.requests / r.cpuS)})`.padStart(16) : 'failed'.padStart(16));
    }
    const ok = instances.flatMap((n, i) => (Number.isFinite(costs[i]) ? [[n, costs[i]]] : []));
    const exp = ok.length >= 2 ? growthExponent(ok.map((p) => p[0]), ok.map((p) => p[1])).toFixed(2) : '-';
    const at = (n: number) => costs[instances.indexOf(n)];
    const both = instances.includes(8) && instances.includes(1024);
    const ratio = both ? `${(at(1024) / at(8)).toFixed(2)}x` : '-';
    let marginal = '-';
    if (both) {
      const m = [8, 1024].map((n) => {
        const half = cell(dir, experiment(name(n, 2 * requests), n, 2 * requests, c));
        const full = cell(dir, experiment(name(n, 4 * requests), n, 4 * requests, c));
        return half && full ? ((full.cpuS - half.cpuS) / (2 * requests)) * 1e6 : NaN;
      });
      marginal = `${m[0].toFixed(1)} / ${m[1].toFixed(1)} (${(m[1] / m[0]).toFixed(2)}x)`;
    }
    process.stdout.write(`  ${c.label.padEnd(15)}${cells.join('')}   ${exp.padStart(8)}  ${ratio.padStart(9)}  ${marginal}\n`);
  }
  process.stdout.write(
    `  (targets: slo (pull) at 8 instances >= 100,000 req per CPU-s; 1024 instances within 2x of 8; steady: per request from ${2 * requests} to ${4 * requests} requests)\n\n`,
  );
}

/** Request-count ladder, least-request on 8 instances: CPU per request and peak RSS. */
export function requestLadder(dir: string, counts: readonly number[]): void {
  mkdirSync(dir, { recursive: true });
  process.stdout.write('Request ladder: least-request, 8x H800 Qwen2.5-7B, 60 req/s\n');
  const done: { n: number; r: CellResult }[] = [];
  for (const n of counts) {
    const r = cell(dir, { ...experiment(`ladder-${n}`, 8, n, POLICIES[1]) });
    if (!r) continue;
    done.push({ n, r });
    process.stdout.write(
      `  ${String(n).padStart(10)} requests  ${r.cpuS.toFixed(1).padStart(8)} CPU-s  ${us(r).toFixed(2).padStart(7)} us/request  peak RSS ${String(r.peakRssMB).padStart(5)} MB\n`,
    );
  }
  if (done.length >= 2) {
    const xs = done.map((d) => d.n);
    process.stdout.write(
      `  growth exponents: CPU per request ${growthExponent(xs, done.map((d) => us(d.r))).toFixed(2)}, peak RSS ${growthExponent(xs, done.map((d) => d.r.peakRssMB)).toFixed(2)} (0 = flat)\n`,
    );
  }
  process.stdout.write('  (target: 50 M requests under 1 GB RSS)\n\n');
}

/** Whole-process wall time of `sim run` on a 5,000-request single point; median of `repeats`. */
export function startupTime(dir: string, repeats = 5): void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'startup.yaml');
  writeFileSync(
    file,
    stringify({
      name: 'bench-startup',
      seed: 1,
      model: 'Llama-3.1-8B',
      fleet: [{ gpu: 'H100-SXM', count: 4 }],
      workload: { requests: 5000, sources: [{ class: 'sharegpt', dataset: 'sharegpt', rate: 30 }] },
      router: { policy: 'round-robin' },
    }),
  );
  const walls: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, [CLI, 'run', file, '--out', join(dir, 'results'), '--no-report'], { stdio: 'ignore' });
    walls.push((performance.now() - t0) / 1000);
  }
  const sorted = [...walls].sort((a, b) => a - b);
  const t0 = performance.now();
  spawnSync(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  const bare = (performance.now() - t0) / 1000;
  process.stdout.write(
    [
      'Start-up: sim run, 5,000 requests, 4x H100, round-robin, --no-report (whole process)',
      `  wall time           ${sorted[Math.floor(repeats / 2)].toFixed(3)} s median of ${repeats} (${walls.map((w) => w.toFixed(2)).join(', ')}); bare node: ${bare.toFixed(3)} s`,
      '  (target <= 0.3 s wall)',
      '',
      '',
    ].join('\n'),
  );
}
