// A fixed vLLM world (tight KV, chunked prefill, shared prefixes, preemption) and a digest of
// every request's timeline. Plain JS so that the same file runs against any build of the
// simulator: `node test/serving/golden/vllm-world.mjs <dist dir>` prints the digest.
import { createHash } from 'node:crypto';

const ADDED_METRICS = new Set(['tpat_ms', 'std', 'median', 'itl_ms', 'input_tokens', 'output_tokens', 'input_tokens_per_s', 'total_tokens_per_s', 'slo_attainment_e2e', 'slo_attainment_tpat']);

export function vllmWorldDigest(mod) {
  const { Cluster, SIGNALS, randomStream, MetricsCollector, createPolicy, VLLM_DEFAULTS } = mod;
  const lines = [];
  for (const [blockSize, chunked, caching, mode] of [
    [16, true, true, 'push'],
    [4, false, true, 'pull'],
    [1, true, false, 'push'],
  ]) {
    const collector = new MetricsCollector(['a'], { targets: {}, perClass: {}, percentile: 99 });
    const outcomes = [];
    const older = [];
    const cluster = new Cluster({
      instances: [0, 1].map((i) => ({
        id: `i${i}`,
        gpuType: 'G',
        role: 'unified',
        timing: { name: 'fake', stepTime: (s) => 0.001 + 0.00001 * s.prefillTokens + 0.0002 * s.decodeSeqs + 1e-7 * s.decodeContextTokens },
        kvCapacityTokens: 900 + 37 * i,
        maxModelLen: 2000,
        config: { ...VLLM_DEFAULTS, blockSize, maxNumSeqs: 6, maxNumBatchedTokens: 256, enableChunkedPrefill: chunked, enablePrefixCaching: caching },
      })),
      router: { kind: 'unified', policy: createPolicy('least-request', {}) },
      mode,
      refresh: Object.fromEntries(SIGNALS.map((s) => [s, 0.002])),
      random: randomStream(3, 'router'),
      collector,
      classes: ['a'],
      warn: () => {},
      // Builds with the outcome record report through it; older ones through onRequestEnd.
      onOutcome: (o) =>
        outcomes.push([o.id, o.instanceIndex >= 0 ? o.instanceId : undefined, o.rejection?.reason ?? '', o.rejection ? null : [o.firstScheduled, o.firstToken, o.finished, o.preemptions, o.cachedTokens]]),
      onRequestEnd: (req, seq, instance, rejection) => older.push([req.id, instance, rejection ?? '', seq ? [seq.firstScheduledAt, seq.firstTokenAt, seq.finishedAt, seq.preemptions, seq.cachedTokens] : null]),
    });
    const reqs = [];
    let t = 0;
    let x = 12345;
    const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 4294967296;
    for (let id = 0; id < 120; id++) {
      t += next() * 0.01;
      const prompt = 1 + Math.floor(next() * 300);
      const group = Math.floor(next() * 3);
      const hashes = Array.from({ length: Math.floor(prompt / 16) }, (_, j) => (j < 4 ? group * 100 + j : 1e6 + id * 1000 + j));
      reqs.push({ id, arrival: t, promptTokens: prompt, outputTokens: 1 + Math.floor(next() * 80), workloadClass: 'a', prefixHashes: hashes, hashBlockTokens: 16, sessionId: undefined });
    }
    let i = 0;
    cluster.run({ next: () => reqs[i++] });
    const ended = outcomes.length > 0 ? outcomes : older;
    ended.sort((a, b) => a[0] - b[0]);
    lines.push(JSON.stringify(ended));
    // Metrics added since the digest was printed are left out: the ones it had must not change.
    lines.push(JSON.stringify(collector.summarize(cluster.instanceInfos()).metrics, (k, v) => (ADDED_METRICS.has(k) ? undefined : v)));
  }
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

if (process.argv[2]) {
  const dist = new URL(`file://${process.argv[2].startsWith('/') ? '' : process.cwd() + '/'}${process.argv[2]}/`);
  const load = (p) => import(new URL(p, dist).href);
  const [cluster, engine, metrics, routing, serving] = await Promise.all(
    ['cluster/index.js', 'engine/index.js', 'metrics/index.js', 'routing/index.js', 'serving/index.js'].map(load),
  );
  console.log(vllmWorldDigest({ ...cluster, ...engine, ...metrics, ...routing, ...serving }));
}
