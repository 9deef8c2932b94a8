import type { Command } from 'commander';
import { randomStream } from '../engine/index.js';
import { startGateway } from '../gateway/index.js';
import { startServe } from '../serve/index.js';
import { action } from './errors.js';
import { loadGatewayConfig } from './gateway-config.js';
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

/** `sim gateway` (a live router in front of engines) and `sim serve` (simulated engines over HTTP). */
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
}
