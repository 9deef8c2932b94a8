import { fileURLToPath } from 'node:url';

/** Where `npm run build` writes the experiment JSON Schema (dist/experiment.schema.json). */
const SCHEMA = fileURLToPath(new URL('../experiment.schema.json', import.meta.url));

/** What `sim init` writes: a small experiment that runs in seconds, every section explained. */
export function starterExperiment(name: string): string {
  return `# yaml-language-server: $schema=${SCHEMA}
# A starter routesim experiment: run it with \`npx sim run <this file>\`. Every field is described
# in the JSON Schema above (your editor completes names and shows the descriptions); README.md
# and docs/ have the rest.
name: ${name}                  # results go to results/<name>/
seed: 1                        # same seed, same results, to the byte
model: Llama-3.1-8B            # npx sim list models
fleet:                         # npx sim list gpus
  - gpu: H100-SXM
    count: 2
    tp: 1                      # tensor parallelism: GPUs per instance
workload:
  duration: 60                 # seconds of arrivals (or requests: N)
  sources:
    - {class: chat, dataset: sharegpt, rate: 8}     # requests per second, Poisson arrivals
router:
  policy: least-request        # npx sim list policies
  mode: push                   # push: pick an instance at arrival; pull: instances take work
slo:                           # targets each request is judged against
  ttftMs: 1000
  tpotMs: 50
# replicates: 3                # run each point with seeds 1, 2, 3: means and 95% intervals
sweep:                         # every combination of these lists is a point
  router.policy: [round-robin, least-request]
  rates: [4, 8]
`;
}
