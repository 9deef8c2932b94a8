import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PolicyModuleError, Gateway, loadPolicyModule, registerPolicy, createPolicy } from '../../src/routing/index.js';
import { endpoint, makeCtx, request } from './helpers.js';
import { SMALL } from '../experiment/fixtures.js';
import { ensureBuilt, sim } from '../sweep/helpers.js';

const fx = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

describe('custom policy modules', () => {
  it('loads a default-export factory and runs it behind the gateway', async () => {
    const factory = await loadPolicyModule(fx('policy-default.mjs'));
    registerPolicy('most-free-kv', factory);
    const eps = [endpoint(0, { freeKvTokens: 10 }), endpoint(1, { freeKvTokens: 900 })];
    const sent: string[] = [];
    const gw = new Gateway({
      policy: createPolicy('most-free-kv'),
      mode: 'push',
      endpoints: eps,
      ctx: makeCtx(),
      dispatch: (_r, e) => sent.push(e.id),
      reject: () => {},
    });
    gw.submit(request(1));
    expect(sent).toEqual(['A100-1']);
  });

  it('loads a named createPolicy export, and .ts under a TypeScript loader', async () => {
    expect((await loadPolicyModule(fx('policy-named.mjs')))({}).name).toBe('first');
    expect((await loadPolicyModule(fx('policy-typed.ts')))({}).name).toBe('typed-last');
  });

  it('says exactly what is missing', async () => {
    await expect(loadPolicyModule(fx('policy-none.mjs'))).rejects.toThrow(PolicyModuleError);
    await expect(loadPolicyModule(fx('policy-none.mjs'))).rejects.toThrow(
      /must export a factory function as its default export or as "createPolicy".*it exports: helper \(number\), makePolicy \(function\)/,
    );
    const bad = await loadPolicyModule(fx('policy-bad-object.mjs'));
    expect(() => bad({})).toThrow(/missing "select\(req, endpoints, ctx\)" \(a function\), "onDispatch" must be a function when present/);
    await expect(loadPolicyModule(fx('does-not-exist.mjs'))).rejects.toThrow(/policy module not found: .*does-not-exist\.mjs/);
  });

  it('each load is a fresh instance: state kept outside the factory does not pass between points', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'routesim-module-'));
    const file = join(dir, 'counter.mjs');
    writeFileSync(file, 'let calls = 0;\nexport default () => ({ name: `n${++calls}`, select: (_r, e) => e[0] });\n');
    // Two points on one worker each load the module: both see a first call.
    expect((await loadPolicyModule(file))({}).name).toBe('n1');
    expect((await loadPolicyModule(file))({}).name).toBe('n1');
  });

  it('a syntax error names the line and column, and the module as the experiment wrote it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'routesim-module-'));
    writeFileSync(join(dir, 'broken.mjs'), 'export default function create() {\n  return { name: "x", select() { return 1; } ;\n}\n');
    const exp = join(dir, 'exp.yaml');
    writeFileSync(exp, SMALL.replace(/policy: .*/, 'policy: ./broken.mjs'));
    // The built CLI under plain Node, where a failed import is a real SyntaxError.
    await ensureBuilt();
    const r = sim(['validate', exp]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/router\.policy \(line \d+\): cannot load policy module \.\/broken\.mjs:2:46: SyntaxError: Unexpected token ';'/);
  });
});
