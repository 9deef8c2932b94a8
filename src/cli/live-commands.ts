import type { Command } from 'commander';
import { randomStream } from '../engine/index.js';
import { startGateway } from '../gateway/index.js';
import { startServe } from '../serve/index.js';
import { action } from './errors.js';
import { loadGatewayConfig } from './gateway-config.js';
import { loadCommand } from './load-command.js';
import { loadServeFleet } from './serve-fleet.js';

/** Resolves when the process is asked to stop (Ctrl-C, SIGTERM). */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

const warn = (m: string) => process.stderr.write(`warning: ${m}\n`);

/** `sim gateway` (a live router in front of engines), `sim serve` (simulated engines over HTTP), `sim load` (a real-time client). */
export function registerLive(program: Command): void {
  program
    .command('gateway')
    .description('Run an OpenAI-compatible gateway that routes with a routesim policy (loopback only)')
    .requiredOption('--config <file>', 'gateway YAML (endpoints, router, limits; see docs/gateway.md)')
    .option('--port <n>', 'override the port of the config', (v) => Number(v))
    .action(
      action(async (o: { config: string; port?: number }) => {
        const { config, router } = await loadGatewayConfig(o.config, warn);
        if (o.port !== undefined) config.port = o.port;
        const gw = await startGateway({ config, router, random: randomStream(config.seed, 'router'), warn });
        process.stdout.write(`gateway ${router.policy.name} (${config.router.mode}) listening at ${gw.url} over ${gw.endpoints.length} endpoints\n`);
        await untilSignal();
        await gw.close();
      }),
    );
  program
    .command('serve')
    .description('Serve each simulated instance of a fleet as an OpenAI-compatible endpoint in real time (loopback only)')
    .requiredOption('--fleet <file>', 'fleet YAML: model, fleet entries as in experiments, basePort')
    .option('--base-port <n>', 'override basePort of the file', (v) => Number(v))
    .action(
      action(async (o: { fleet: string; basePort?: number }) => {
        const serve = await startServe(loadServeFleet(o.fleet, o.basePort));
        for (const e of serve.endpoints) process.stdout.write(`serving ${e.id} (${e.gpuType}, ${e.role}) at ${e.url}\n`);
        await untilSignal();
        await serve.close();
      }),
    );
  program
    .command('load')
    .description("Send an experiment's workload to an HTTP endpoint in real time and write the same summary as sim run (loopback only)")
    .argument('<experiment>', 'experiment YAML whose workload (and seed, SLOs) to send')
    .requiredOption('--url <url>', 'base URL of the gateway or server, e.g. http://127.0.0.1:8080')
    .option('--out <dir>', 'results directory (default results/<name>-load)')
    .option('--point <id>', 'sweep point whose workload to send (default: the first)')
    .option('--requests <n>', 'stop after n requests', (v) => Number(v))
    .option('--model <name>', 'model name to send (default: the experiment model)')
    .action(
      action(async (file: string, o: { url: string; out?: string; point?: string; requests?: number; model?: string }) => {
        const { result, dir, failures } = await loadCommand(file, o);
        const m = result.metrics;
        process.stdout.write(
          `${result.name} ${result.id}: ${result.completed} completed, ${result.rejected} failed; TTFT p50/p99 ${m.ttft_ms.p50.toFixed(1)}/${m.ttft_ms.p99.toFixed(1)} ms, TPOT p50/p99 ${m.tpot_ms.p50.toFixed(2)}/${m.tpot_ms.p99.toFixed(2)} ms, ${m.throughput_rps.toFixed(2)} req/s -> ${dir}/summary.json\n`,
        );
        for (const [reason, n] of failures) process.stderr.write(`warning: ${n} requests failed: ${reason}\n`);
      }),
    );
}
