/**
 * 300 small random PD worlds (fixed seeds): tight KV on both sides, DP ranks, every PD policy,
 * push and pull. Whatever happens, the invariants hold and the TTFT breakdown adds up.
 */
import { describe, expect, it } from 'vitest';
import type { LinkSpec } from '../../src/cluster/index.js';
import { createPdPolicy, type PdRoutingPolicy } from '../../src/routing/index.js';
import { SGLANG_DEFAULTS } from '../../src/serving/index.js';
import { pdWorld, request, type PdInstance } from './pd-world.js';
import { instancesOf } from '../invariants/world.js';

/** Small deterministic generator (mulberry32). */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)] };
}

const DP_METHODS = ['round_robin', 'shortest_queue', 'minimum_tokens', 'minimum_tokens_legacy', 'follow_bootstrap_room'];
const SIDES = ['random', 'round_robin', 'power_of_two', 'cache_aware'];

function randomWorld(seed: number, engine: 'vllm' | 'sglang' = 'vllm') {
  const r = rng(seed);
  const instances: PdInstance[] = [];
  const one = (role: 'prefill' | 'decode', i: number): PdInstance => {
    const dp = r.pick([1, 1, 2, 3]);
    return {
      id: `${role[0].toUpperCase()}${i}`,
      role,
      dp,
      dpDispatch: dp > 1 ? r.pick(DP_METHODS) : undefined,
      kvTokens: role === 'decode' ? r.int(96, 640) : r.int(128, 1024),
      config:
        engine === 'vllm'
          ? { maxNumSeqs: r.int(1, 6), maxNumBatchedTokens: r.int(64, 512), blockSize: r.pick([4, 16]) }
          : sglangConfig(r),
    };
  };
  const nP = r.int(1, 3);
  const nD = r.int(1, 3);
  for (let i = 0; i < nP; i++) instances.push(one('prefill', i));
  for (let i = 0; i < nD; i++) instances.push(one('decode', i));
  const kind = r.pick(['sglang-pd', 'sglang-pd', 'pd', 'llm-d-pd']);
  const policy: PdRoutingPolicy =
    kind === 'sglang-pd'
      ? createPdPolicy(kind, { prefill: r.pick(SIDES), decode: r.pick(SIDES) })
      : kind === 'llm-d-pd'
        ? createPdPolicy(kind, { nonCachedTokens: r.int(16, 128) })
        : createPdPolicy(kind, {});
  const mode = r.pick(['push', 'pull'] as const);
  const links = new Map<string, LinkSpec>();
  const link = (p: string, d: string) => {
    const key = `${p}->${d}`;
    if (!links.has(key)) links.set(key, { bandwidthGBs: r.pick([0.5, 2, 10]), latencyS: r.pick([0, 0.0005, 0.003]) });
    return links.get(key)!;
  };
  const n = r.int(30, 60);
  let t = 0;
  const reqs = Array.from({ length: n }, (_, id) => {
    t += r.next() * 0.004;
    return request(id, t, r.int(1, 200), r.int(1, 30));
  });
  return { instances, policy, mode, link, reqs, desc: `seed ${seed}: ${kind} ${mode}, ${nP}P${nD}D` };
}

/** SGLang servers: page sizes, chunk sizes, mixed chunk, radix on or off, a low ratio. */
function sglangConfig(r: ReturnType<typeof rng>) {
  const page = r.pick([1, 4, 16]);
  const running = r.int(1, 6);
  return {
    kind: 'sglang' as const,
    blockSize: page,
    maxNumSeqs: running,
    sglang: {
      ...SGLANG_DEFAULTS,
      maxRunningRequests: running,
      chunkedPrefillSize: r.pick([null, 64 * page, 16 * page]),
      scheduleConservativeness: r.pick([0.05, 1]),
      enableMixedChunk: r.next() < 0.5,
      disableRadixCache: r.next() < 0.5,
    },
  };
}

describe('random PD worlds', () => {
  for (const engine of ['vllm', 'sglang'] as const) {
  it(`${engine}: every request ends once, KV stays within capacity and is all returned, TTFT = router queue + PD parts`, () => {
    let disaggregated = 0;
    let waitedForKv = 0;
    let completed = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const spec = randomWorld(seed, engine);
      const w = pdWorld({ instances: spec.instances, policy: spec.policy, mode: spec.mode, link: spec.link });
      w.run(spec.reqs);
      const ids = w.ended.map((e) => e.id).sort((a, b) => a - b);
      expect(ids, spec.desc).toEqual(spec.reqs.map((q) => q.id));
      expect(w.violations, spec.desc).toEqual([]);
      for (const e of w.cluster.endpoints) for (const inst of instancesOf(e)) expect(inst.kv.used, `${spec.desc} ${inst.id}`).toBe(0);
      for (const l of w.cluster.links.values()) expect(l.busy, spec.desc).toBe(false);
      expect(w.cluster.sim.pending, spec.desc).toBe(0);
      for (const e of w.ended) {
        if (!e.outcome) {
          // Only requests no server could ever hold; none left behind in a pull-mode router queue.
          expect(e.rejection, spec.desc).toMatch(/^prompt \+ output = \d+ tokens exceeds the KV capacity/);
          continue;
        }
        completed++;
        const req = spec.reqs[e.id];
        const rec = e.record!;
        expect(rec.finished, spec.desc).toBeGreaterThanOrEqual(rec.firstToken);
        if (!e.pd) continue;
        disaggregated++;
        const p = e.pd;
        for (const v of [p.prefillQueue, p.prefillCompute, p.kvWait, p.transfer, p.decodeWait]) expect(v, spec.desc).toBeGreaterThanOrEqual(-1e-12);
        const ttft = rec.firstToken - req.arrival;
        const parts = rec.dispatched - req.arrival + p.prefillQueue + p.prefillCompute + p.kvWait + p.transfer + p.decodeWait;
        expect(parts, `${spec.desc} request ${e.id}`).toBeCloseTo(ttft, 9);
        if (p.kvWait > 0) waitedForKv++;
      }
    }
    // The worlds do exercise what they are meant to.
    expect(disaggregated).toBeGreaterThan(5000);
    expect(waitedForKv).toBeGreaterThan(1000);
    expect(completed).toBeGreaterThan(8000);
  });
  }
});
