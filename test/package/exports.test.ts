import { describe, expect, it } from 'vitest';

// Imports the package by its own name, through package.json `exports`, as a user's code would.
describe('package exports', () => {
  it('routesim resolves to the built library', async () => {
    const lib = await import('routesim');
    expect(typeof lib.runExperimentFile).toBe('function');
    expect(typeof lib.loadExperiment).toBe('function');
    expect(lib.experimentSchema.safeParse({}).success).toBe(false);
  });

  it('routesim/routing resolves to the routing library', async () => {
    const routing = await import('routesim/routing');
    expect(routing.knownPolicies()).toContain('least-request');
  });
});
