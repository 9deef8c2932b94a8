import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Simulator } from '../../src/engine/index.js';
import { loadExperiment, preparePoint } from '../../src/experiment/index.js';
import { registerPolicy } from '../../src/routing/index.js';
import { tempDir, writeExperiment, smallExperiment } from '../sweep/helpers.js';

const dir = tempDir('routesim-idle-');

describe('Simulator.beforeNextEvent', () => {
  it('runs once before the next event, at its time, with its handler; true keeps it armed', () => {
    const sim = new Simulator();
    const log: string[] = [];
    const a = () => log.push(`a@${sim.now}`);
    const b = () => log.push(`b@${sim.now}`);
    sim.schedule(1, a);
    sim.schedule(2, b);
    sim.schedule(3, a);
    let calls = 0;
    sim.beforeNextEvent((h) => {
      log.push(`watch@${sim.now}:${h === a ? 'a' : 'b'}`);
      return ++calls < 2;
    });
    sim.run();
    expect(log).toEqual(['watch@1:a', 'a@1', 'watch@2:b', 'b@2', 'a@3']);
  });
});

/** Runs one point of `exp` in this thread; returns the cluster after the run. */
async function runCluster(exp: Record<string, unknown>, name: string) {
  const file = writeExperiment(dir, name, exp);
  const loaded = loadExperiment(file);
  const { cluster, collector, stream } = await preparePoint(loaded, loaded.points[0]);
  cluster.run(stream);
  return { cluster, summary: collector.summarize(cluster.instanceInfos()) };
}

const trace = (name: string, arrivalsMs: number[]) => {
  const path = join(dir, `${name}.jsonl`);
  writeFileSync(path, arrivalsMs.map((t) => JSON.stringify({ timestamp: t, input_length: 200, output_length: 20 })).join('\n') + '\n');
  return path;
};

const traceExperiment = (name: string, path: string, router: Record<string, unknown>) => ({
  ...smallExperiment(name),
  workload: { sources: [{ class: 'c', trace: { format: 'mooncake', path } }] },
  router,
});

describe('idle simulated time costs no events', () => {
  it('two requests 10^6 s apart: a handful of refreshes, not 7 * 10^7', async () => {
    const path = trace('gap', [0, 1e9]);
    const { cluster, summary } = await runCluster(traceExperiment('gap', path, { policy: 'least-request', refreshMs: { default: 50, queue: 20 } }), 'gap');
    expect(summary.completed).toBe(2);
    // Two requests of 20 tokens: ~40 steps, a few refreshes around them, arrivals.
    expect(cluster.sim.eventsRun).toBeLessThan(2000);
  });

  it('a policy sees the snapshots of an always-ticking refresher: same instants, same values', async () => {
    const seen: { now: number; updatedAt: number; running: number; tput: number }[] = [];
    registerPolicy('idle-probe', () => ({
      name: 'idle-probe',
      select(_req, endpoints, ctx) {
        const m = endpoints[0].metrics;
        seen.push({ now: ctx.now(), updatedAt: m.updatedAt, running: m.running, tput: m.generationTokensPerS });
        return endpoints[0];
      },
    }));
    // Busy at 0 and 0.01 s, idle for 1000 s, then three arrivals close together.
    const arrivals = [0, 10, 1_000_012.3, 1_000_030, 1_000_500];
    const path = trace('probe', arrivals);
    const { summary } = await runCluster(traceExperiment('probe', path, { policy: 'idle-probe', refreshMs: { default: 50 } }), 'probe');
    expect(summary.completed).toBe(5);
    // The grid a timer that never stopped would have ticked on: 0, 0.05, 0.05 + 0.05, ... (float sums).
    const lastTickBefore = (t: number) => {
      let g = 0;
      while (g + 0.05 < t) g += 0.05;
      return g;
    };
    expect(seen.map((s) => s.updatedAt)).toEqual(arrivals.map((ms) => (ms === 0 ? 0 : lastTickBefore(ms / 1000))));
    // After the idle gap the router sees an empty, quiet fleet, as a live scrape would show.
    expect(seen[2]).toMatchObject({ running: 0, tput: 0 });
  });
});
