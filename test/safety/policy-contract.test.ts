import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Gateway, PolicyRuntimeError, type EndpointView, type RequestView, type RoutingPolicy } from '../../src/routing/index.js';
import { guardPolicy } from '../../src/routing/guarded-policy.js';
import { endpoint, makeCtx, request } from '../routing/helpers.js';
import { ensureBuilt, sim, smallExperiment, tempDir, writeExperiment } from '../sweep/helpers.js';

const dir = tempDir('routesim-contract-');
beforeAll(ensureBuilt);

/** A gateway over three endpoints routing with `policy` guarded as a module from FILE would be. */
function world(policy: RoutingPolicy, mode: 'push' | 'pull' = 'push') {
  const eps = [endpoint(0), endpoint(1), endpoint(2)];
  const sent: string[] = [];
  const rejected: string[] = [];
  const gw = new Gateway({
    policy: guardPolicy(policy, '/abs/custom.mjs', './custom.mjs'),
    mode,
    endpoints: eps,
    ctx: makeCtx(),
    dispatch: (_r, e) => sent.push(e.id),
    reject: (_r, why) => rejected.push(why),
  });
  return { eps, gw, sent, rejected };
}

const policy = (select: RoutingPolicy['select'], extra: Partial<RoutingPolicy> = {}): RoutingPolicy => ({ name: 'custom', select, ...extra });

describe('views a custom policy receives cannot change the simulation', () => {
  it('writes to counters or metrics fail the request naming the module; the state is unchanged', () => {
    const { eps, gw } = world(
      policy((_r, e) => {
        (e[0].counters as { inflight: number }).inflight = 0;
        return e[0];
      }),
    );
    eps[0].counters.inflight = 5;
    expect(() => gw.submit(request(1))).toThrow(PolicyRuntimeError);
    expect(() => gw.submit(request(2))).toThrow(/\.\/custom\.mjs: select tried to change A100-0\.counters\.inflight; endpoint views are read-only/);
    expect(eps[0].counters.inflight).toBe(5);
    const metrics = world(policy((_r, e) => (delete (e[1].metrics as Partial<EndpointView['metrics']>).kvUsage, e[1])));
    expect(() => metrics.gw.submit(request(1))).toThrow(/\.\/custom\.mjs: select threw TypeError: Cannot delete property 'kvUsage'/);
    expect(metrics.eps[1].metrics.kvUsage).toBe(0);
    const set = world(policy((_r, e) => (((e[1].metrics as { kvUsage: number }).kvUsage = 1), e[1])));
    expect(() => set.gw.submit(request(1))).toThrow(/select tried to change A100-1\.metrics\.kvUsage; endpoint views are read-only/);
    expect(set.eps[1].metrics.kvUsage).toBe(0);
  });

  it('requests, candidate lists and the context are the policy\'s own copies or frozen', () => {
    const seen: RequestView[] = [];
    const { eps, gw, sent } = world(
      policy((req, e, ctx) => {
        seen.push(req);
        (e as EndpointView[]).reverse();
        expect(() => ((ctx as { random: unknown }).random = () => 0)).toThrow(TypeError);
        expect(() => ((req as { promptTokens: number }).promptTokens = 1)).toThrow(TypeError);
        expect(() => (req.prefixHashes as number[]).push(1)).toThrow(TypeError);
        expect((e[0] as unknown as { engine?: unknown }).engine).toBeUndefined();
        return e[0];
      }),
    );
    const req = request(1, { promptTokens: 500 });
    gw.submit(req);
    expect(req.promptTokens).toBe(500);
    // The policy reversed its own list; the gateway's endpoints keep their order and the choice maps back.
    expect(eps.map((e) => e.id)).toEqual(['A100-0', 'A100-1', 'A100-2']);
    expect(sent).toEqual(['A100-2']);
    // Reads go straight to the live values.
    eps[2].counters.inflight = 9;
    let read = -1;
    world(policy((_r, e) => ((read = e[0].counters.inflight), e[0])));
    const again = world(policy((_r, e) => ((read = e[2].counters.inflight), undefined)));
    again.eps[2].counters.inflight = 7;
    again.gw.submit(request(3));
    expect(read).toBe(7);
    expect(again.rejected).toEqual(['policy custom selected no endpoint']);
  });
});

describe('select must return one of its candidates', () => {
  const returned = (value: (e: readonly EndpointView[]) => unknown) => {
    const { gw } = world(policy((_r, e) => value(e) as EndpointView));
    try {
      gw.submit(request(4));
    } catch (err) {
      expect(err).toBeInstanceOf(PolicyRuntimeError);
      return (err as Error).message;
    }
    return 'no error';
  };

  it('names the module and what came back: a Promise, a foreign object, a prototype, a number', () => {
    expect(returned((e) => Promise.resolve(e[0]))).toMatch(/^routing policy "custom" failed in select for request 4: \.\/custom\.mjs: select returned a Promise/);
    expect(returned((e) => ({ id: e[0].id, index: 0 }))).toMatch(/\.\/custom\.mjs: select returned an object that is not one of the candidate endpoints \(keys: id, index\)/);
    expect(returned((e) => Object.getPrototypeOf(e[0]))).toMatch(/select returned Object\.prototype \(a prototype, not an endpoint\)/);
    expect(returned(() => 1)).toMatch(/select returned the number 1/);
    expect(returned(() => 'A100-0')).toMatch(/select returned the string "A100-0"/);
  });

  it('an endpoint that was not among the candidates (pull mode offers only those with capacity)', () => {
    let all: readonly EndpointView[] = [];
    const { eps, gw } = world(
      policy((_r, e) => {
        if (e.length === 3) all = e;
        return e.length === 3 ? undefined : all[0];
      }),
      'pull',
    );
    gw.submit(request(1)); // all three have capacity; the policy keeps it queued and remembers them
    (eps[0] as ReturnType<typeof endpoint>).cap.freeSlots = 0;
    expect(() => gw.submit(request(2))).toThrow(/select returned endpoint A100-0, which is not one of the candidates it was given \(A100-1, A100-2\)/);
  });
});

describe('policy module files', () => {
  it('an error thrown in a .ts policy names the user\'s file and line; its relative .ts imports load; nothing is written beside it', () => {
    const sub = join(dir, 'typed');
    mkdirSync(sub);
    writeFileSync(join(sub, 'pick.ts'), 'export const at = <T>(xs: readonly T[], i: number): T => xs[i];\n');
    writeFileSync(
      join(sub, 'thrower.ts'),
      ["import { at } from './pick.ts';", 'interface P { n: number }', 'export default () => ({', "  name: 'thrower',", '  select(req: { id: number }, eps: unknown[]) {', '    const p = (req.id === 3 ? undefined : { n: 0 }) as unknown as P;', '    return at(eps, p.n);', '  },', '});', ''].join('\n'),
    );
    const file = writeExperiment(sub, 'thrower', smallExperiment('thrower', { router: { policy: './thrower.ts' } }));
    const r = sim(['run', file, '--out', join(dir, 'thrower-out'), '--no-report']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/routing policy "thrower" failed in select for request 3: \.\/thrower\.ts:7:\d+: select threw TypeError: Cannot read properties of undefined/);
    expect(readdirSync(sub).sort()).toEqual(['pick.ts', 'thrower.ts', 'thrower.yaml']);
  });

  it('a syntax error in a .ts policy is one line with the user\'s file, line and column', () => {
    const sub = join(dir, 'syntax');
    mkdirSync(sub);
    writeFileSync(join(sub, 'broken.ts'), "export default () => ({\n  name: 'b',\n  select(req: any, eps: any[]) {\n    return eps[0;\n  },\n});\n");
    const file = writeExperiment(sub, 'broken', smallExperiment('broken', { router: { policy: './broken.ts' } }));
    const r = sim(['validate', file]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([`error: ${join(sub, 'broken.ts')}: line 4, column 17: syntax error in policy module: ']' expected.`]);
  });

  it('a runaway point is stopped by --point-timeout, its worker replaced, the sweep finished', () => {
    writeFileSync(join(dir, 'spin.mjs'), "export default () => ({ name: 'spin', select() { for (;;) {} } });\n");
    const file = writeExperiment(
      dir,
      'runaway',
      smallExperiment('runaway', {
        workload: { duration: 3, sources: [{ class: 'chat', dataset: 'sharegpt', rate: 4 }] },
        sweep: { 'router.policy': ['least-request', './spin.mjs', 'random', 'round-robin'] },
      }),
    );
    const out = join(dir, 'runaway-out');
    const r = sim(['run', file, '--out', out, '--no-report', '--point-timeout', '2', '--workers', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/1 of 4 points failed .*\n {2}spin\.mjs-[0-9a-f]{10}: point ran longer than the point timeout \(2 s; --point-timeout\): stopped/);
    const summary = JSON.parse(readFileSync(join(out, 'runaway', 'summary.json'), 'utf8'));
    expect(summary.runs.map((x: { policy: string }) => x.policy)).toEqual(['least-request', 'random', 'round-robin']);
  });

  it('a module that never returns from its factory (or import) is stopped in the check, not hung on', () => {
    writeFileSync(join(dir, 'stuck.mjs'), 'export default () => { for (;;) {} };\n');
    writeFileSync(join(dir, 'stuck-import.mjs'), "for (;;) {}\nexport default () => ({ name: 'never', select: (_r, e) => e[0] });\n");
    const sweep = writeExperiment(
      dir,
      'stuck',
      smallExperiment('stuck', {
        workload: { duration: 3, sources: [{ class: 'chat', dataset: 'sharegpt', rate: 4 }] },
        sweep: { 'router.policy': ['least-request', './stuck.mjs'] },
      }),
    );
    const out = join(dir, 'stuck-out');
    // The check's limit is the point timeout when that is shorter than its own 60 s.
    const r = sim(['run', sweep, '--out', out, '--no-report', '--point-timeout', '2', '--workers', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/1 of 2 points failed .*\n {2}stuck\.mjs-[0-9a-f]{10}: .*: policy module \.\/stuck\.mjs did not return from its import or its factory within 2 s: stopped/);
    const summary = JSON.parse(readFileSync(join(out, 'stuck', 'summary.json'), 'utf8'));
    expect(summary.runs.map((x: { policy: string }) => x.policy)).toEqual(['least-request']);
    // One point whose import never returns: one line naming the file and field, exit 2.
    const single = writeExperiment(dir, 'stuck-one', smallExperiment('stuck-one', { router: { policy: './stuck-import.mjs' } }));
    const one = sim(['run', single, '--out', out, '--no-report', '--point-timeout', '2']);
    expect(one.code).toBe(2);
    expect(one.stderr.trim().split('\n')).toHaveLength(1);
    expect(one.stderr).toMatch(/router\.policy \(line \d+\): policy module \.\/stuck-import\.mjs did not return from its import or its factory within 2 s: stopped/);
  }, 60_000);

  it('a module that leaves a timer running does not keep the check waiting; one whose import never settles is named', () => {
    writeFileSync(join(dir, 'tick.mjs'), "setInterval(() => {}, 1000);\nexport default () => ({ name: 'tick', select: (_r, e) => e[0] });\n");
    writeFileSync(join(dir, 'never.mjs'), "await new Promise(() => {});\nexport default () => ({ name: 'never', select: (_r, e) => e[0] });\n");
    const small = { workload: { duration: 2, sources: [{ class: 'chat', dataset: 'sharegpt', rate: 2 }] } };
    const tick = writeExperiment(dir, 'tick', smallExperiment('tick', { ...small, router: { policy: './tick.mjs' } }));
    const ran = sim(['run', tick, '--out', join(dir, 'tick-out'), '--no-report', '--point-timeout', '20']);
    expect(ran.code).toBe(0);
    const never = writeExperiment(dir, 'never', smallExperiment('never', { ...small, sweep: { 'router.policy': ['./never.mjs', 'random'] } }));
    const v = sim(['validate', never]);
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/sweep\.router\.policy\.0 \(line \d+\): policy module \.\/never\.mjs: its import or its factory never settled/);
  }, 60_000);
});
