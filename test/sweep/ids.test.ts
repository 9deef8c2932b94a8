import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExperiment } from '../../src/experiment/load.js';
import { smallExperiment, tempDir, writeExperiment } from './helpers.js';

const dir = tempDir();
const sweep = { 'router.policy': ['random', 'least-request'], rates: [2, 4] };

describe('point ids', () => {
  it('are the same every time the same file is loaded, and unique within a sweep', () => {
    const file = writeExperiment(dir, 'same', smallExperiment('same', { sweep }));
    const a = loadExperiment(file).points.map((p) => p.id);
    const b = loadExperiment(file).points.map((p) => p.id);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(4);
    for (const id of a) expect(id).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(a[0]).toMatch(/^random-2-[0-9a-f]{10}$/);
  });

  it('depend on the resolved configuration, not on how the file is written', () => {
    const one = writeExperiment(dir, 'layout', smallExperiment('layout', { sweep }));
    const other = join(dir, 'layout2.yaml');
    // Same content, keys in another order, defaults spelled out, flow style.
    writeFileSync(
      other,
      `sweep: {router.policy: [random, least-request], rates: [2, 4]}
slo: {tpotMs: 50, ttftMs: 1000}
router: {mode: push, policy: least-request}
workload: {sources: [{rate: 6, dataset: sharegpt, class: chat}], duration: 20}
fleet: [{count: 2, gpu: H100-SXM, tp: 1, role: unified}]
model: Llama-3.1-8B
seed: 7
name: layout
`,
    );
    expect(loadExperiment(other).points.map((p) => p.id)).toEqual(loadExperiment(one).points.map((p) => p.id));
  });

  it('of other points do not change when a value is added to a sweep', () => {
    const a = loadExperiment(writeExperiment(dir, 'grow', smallExperiment('grow', { sweep }))).points.map((p) => p.id);
    const b = loadExperiment(
      writeExperiment(dir, 'grow', smallExperiment('grow', { sweep: { ...sweep, 'router.policy': ['random', 'prefix-cache', 'least-request'] } })),
    ).points.map((p) => p.id);
    expect(b).toHaveLength(6);
    for (const id of a) expect(b).toContain(id);
  });

  it('change with anything that changes the result (seed, a non-swept field)', () => {
    const base = loadExperiment(writeExperiment(dir, 'chg', smallExperiment('chg', { sweep }))).points.map((p) => p.id);
    const seed = loadExperiment(writeExperiment(dir, 'chg', smallExperiment('chg', { sweep, seed: 8 }))).points.map((p) => p.id);
    const slo = loadExperiment(writeExperiment(dir, 'chg', smallExperiment('chg', { sweep, slo: { ttftMs: 900, tpotMs: 50 } }))).points.map((p) => p.id);
    for (const ids of [seed, slo]) for (let i = 0; i < base.length; i++) expect(ids[i]).not.toBe(base[i]);
  });

  it('of a run without a sweep are the configuration hash alone', () => {
    const exp = loadExperiment(writeExperiment(dir, 'plain', smallExperiment('plain')));
    expect(exp.points[0].id).toMatch(/^[0-9a-f]{10}$/);
  });
});
