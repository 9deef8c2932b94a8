/**
 * The outcome record is the one per-request truth: on a prefill/decode run the summary, the
 * records and requests.csv agree on cached tokens, queue times and instances.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../helpers/csv.js';
import { loadExperiment, runPoint } from '../../src/experiment/index.js';
import { outcomeRow, RequestLog } from '../../src/experiment/request-log.js';
import { queueTime, ttft, type RequestOutcome } from '../../src/metrics/index.js';
import { cleanup, tempDir, write } from '../experiment/fixtures.js';

afterAll(cleanup);

const CLASS = 'chat, "v2"';
const yaml = `name: outcome-pd
seed: 4
model: Llama-3.1-8B
fleet:
  - {gpu: H100-SXM, count: 2, role: prefill}
  - {gpu: A100-80GB, count: 2, role: decode}
workload:
  requests: 120
  sources:
    - {class: '${CLASS.replace(/'/g, "''")}', dataset: bird, rate: 20}
router:
  policy: pd
slo:
  ttftMs: 1000
`;


describe('outcome record on a PD run', async () => {
  const dir = tempDir();
  const exp = loadExperiment(write(dir, 'e.yaml', yaml));
  const outcomes: RequestOutcome[] = [];
  const csvPath = join(dir, 'requests.csv');
  const log = new RequestLog(csvPath);
  const row = outcomeRow(log);
  const r = await runPoint(exp, exp.points[0], {
    onOutcome: (o) => {
      outcomes.push({ ...o });
      row(o);
    },
  });
  log.close();
  const done = outcomes.filter((o) => !o.rejection);

  it('ends every request once, and the records agree with the summary', () => {
    expect(outcomes).toHaveLength(120);
    expect(new Set(outcomes.map((o) => o.id)).size).toBe(120);
    expect(done.length).toBe(r.completed);
    const cached = done.reduce((a, o) => a + o.cachedTokens, 0);
    const prompt = done.reduce((a, o) => a + o.promptTokens, 0);
    // BIRD prompts share schema prefixes: the prefill side finds them cached.
    expect(cached).toBeGreaterThan(0);
    expect(cached / prompt).toBeCloseTo(r.metrics.prefix_cache_hit_rate, 12);
    const meanQueueMs = (done.reduce((a, o) => a + queueTime(o), 0) / done.length) * 1000;
    expect(meanQueueMs).toBeCloseTo(r.metrics.queue_ms.mean, 6);
    // The queue ends when the prefill side schedules the prompt, well before the first token.
    expect(done.some((o) => queueTime(o) < ttft(o) - 1e-3)).toBe(true);
  });

  it('pools every inter-token gap: the ITL mean is the decode time over the gaps', () => {
    const multi = done.filter((o) => o.outputTokens > 1);
    const span = multi.reduce((a, o) => a + o.finished - o.firstToken, 0);
    const gaps = multi.reduce((a, o) => a + o.outputTokens - 1, 0);
    expect(r.metrics.itl_ms.mean).toBeCloseTo((span / gaps) * 1000, 6);
    expect(r.metrics.itl_ms.p99).toBeGreaterThanOrEqual(r.metrics.itl_ms.median);
  });

  it('names both instances: prefill side and decode side, as the summary counts them', () => {
    const role = new Map(r.summary.instances.map((i) => [i.id, i.role]));
    for (const o of done) {
      expect(role.get(o.instanceId)).toBe('decode');
      expect(role.get(o.prefillInstanceId)).toBe('prefill');
      expect(o.enqueued).toBeGreaterThanOrEqual(o.dispatched);
      expect(o.prefillDone).toBeLessThanOrEqual(o.transferDone);
      expect(o.transferDone).toBeLessThanOrEqual(o.firstToken);
    }
    for (const i of r.summary.instances) {
      if (i.role === 'decode') expect(done.filter((o) => o.instanceId === i.id).length).toBe(i.served);
      else expect(done.filter((o) => o.prefillInstanceId === i.id).length).toBe(i.prefills);
    }
  });

  it('writes requests.csv from the records, RFC 4180-escaped', () => {
    const rows = parseCsv(readFileSync(csvPath, 'utf8'));
    const header = rows[0];
    expect(rows).toHaveLength(121);
    for (const x of rows) expect(x).toHaveLength(header.length);
    const col = (name: string) => header.indexOf(name);
    const byId = new Map(outcomes.map((o) => [o.id, o]));
    for (const x of rows.slice(1)) {
      const o = byId.get(Number(x[col('id')]))!;
      expect(x[col('class')]).toBe(CLASS);
      if (o.rejection) continue;
      expect(Number(x[col('cached_tokens')])).toBe(o.cachedTokens);
      expect(x[col('instance')]).toBe(o.instanceId);
      expect(x[col('prefill_instance')]).toBe(o.prefillInstanceId);
      expect(Number(x[col('queue_ms')])).toBeCloseTo(queueTime(o) * 1000, 2);
    }
  });
});
