import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExperiment, preparePoint } from '../../src/experiment/index.js';

/**
 * Runs least-kv-cache (which reads the engine's KV usage from scraped metrics) with the given
 * refresh interval and returns, in arrival order, the instance each request went to.
 */
async function placements(refreshMs: number): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'routesim-stale-'));
  const file = join(dir, 'exp.yaml');
  writeFileSync(
    file,
    [
      'name: stale',
      'seed: 3',
      'model: Llama-3.1-8B',
      // No API-server delay, synchronous scheduling: the router's view then lags only by the refresh interval.
      'fleet: [{gpu: H100-SXM, count: 4, frontend: {requestMs: 0, responseMs: 0}, engine: {asyncScheduling: false}}]',
      'workload: {duration: 20, sources: [{class: c, dataset: sharegpt, rate: 30}]}',
      `router: {policy: least-kv-cache, refreshMs: {default: ${refreshMs}}}`,
    ].join('\n'),
  );
  const exp = loadExperiment(file);
  const where: string[] = [];
  const p = await preparePoint(exp, exp.points[0], {
    onOutcome: (o) => {
      where[o.id] = o.instanceIndex >= 0 ? o.instanceId : '-';
    },
  });
  p.cluster.run(p.stream);
  return where;
}

/** Share of consecutive arrivals sent to the same instance (1/4 for a uniform spread over 4). */
function sameAsPrevious(where: string[]): number {
  let same = 0;
  for (let i = 1; i < where.length; i++) if (where[i] === where[i - 1]) same++;
  return same / (where.length - 1);
}

describe('stale engine metrics', () => {
  it('make a load-reading policy herd: arrivals between refreshes all see the same "least loaded" instance', async () => {
    const live = sameAsPrevious(await placements(0));
    const stale = sameAsPrevious(await placements(2000));
    // With a 2 s refresh at 30 req/s, ~60 arrivals in a row read the same snapshot and pick the same instance.
    expect(stale).toBeGreaterThan(0.85);
    // Live metrics let KV usage move between arrivals, so the choice moves too.
    expect(stale - live).toBeGreaterThan(0.25);
  });
});
