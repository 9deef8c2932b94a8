import type { Command } from 'commander';
import { InputError } from '../input-error.js';
import { action, EXIT_FAILED } from './errors.js';

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

/** A port flag: a whole number 0..65535 (0 = ephemeral). */
function port(flag: string, v: number | undefined): number | undefined {
  if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v <= 65535)) throw new InputError(`${flag} must be a port number 0..65535`);
  return v;
}

/** `sim gateway` (a live router in front of engines), `sim serve` (simulated engines over HTTP), `sim load` (a real-time client). */
export function registerLive(program: Command): void {
  program
    .command('gateway')
    .description('run an OpenAI-compatible gateway that routes with a routesim policy (loopback only)')
    .requiredOption('--config <file>', 'gateway YAML (endpoints, router, limits; see docs/gateway.md)')
    .option('--port <n>', 'override the port of the config', (v) => Number(v))
    .action(
      action(async (o: { config: string; port?: number }) => {
        const { loadGatewayConfig } = await import('./gateway-config.js');
        const { startGateway } = await import('../gateway/index.js');
        const { randomStream } = await import('../engine/index.js');
        const { config, router } = await loadGatewayConfig(o.config, warn, { writesLogs: true });
        if (port('--port', o.port) !== undefined) config.port = o.port!;
        const gw = await startGateway({ config, router, random: randomStream(config.seed, 'router'), warn });
        process.stdout.write(`gateway ${router.policy.name} (${config.router.mode}) listening at ${gw.url} over ${gw.endpoints.length} endpoints\n`);
        await untilSignal();
        await gw.close();
      }),
    );
  program
    .command('serve')
    .description('serve each simulated instance of a fleet as an OpenAI-compatible endpoint in real time (loopback only)')
    .requiredOption('--fleet <file>', 'fleet YAML: model, fleet entries as in experiments, basePort')
    .option('--base-port <n>', 'override basePort of the file', (v) => Number(v))
    .action(
      action(async (o: { fleet: string; basePort?: number }) => {
        const { loadServeFleet } = await import('./serve-fleet.js');
        const { startServe } = await import('../serve/index.js');
        const serve = await startServe(loadServeFleet(o.fleet, port('--base-port', o.basePort)));
        for (const e of serve.endpoints) process.stdout.write(`serving ${e.id} (${e.gpuType}, ${e.role}) at ${e.url}\n`);
        await untilSignal();
        await serve.close();
      }),
    );
  program
    .command('load')
    .description("send an experiment's workload to an HTTP endpoint in real time and write the same summary as sim run (loopback only)")
    .argument('<experiment>', 'experiment YAML whose workload (and seed, SLOs) to send')
    .requiredOption('--url <url>', 'base URL of the gateway or server, e.g. http://127.0.0.1:8080')
    .option('--out <dir>', 'results root: the summary goes to <dir>/<name>/ (default results/live)')
    .option('--point <id>', 'sweep point whose workload to send (default: the first)')
    .option('--requests <n>', 'stop after n requests', (v) => Number(v))
    .option('--model <name>', 'model name to send (default: the experiment model)')
    .action(
      action(async (file: string, o: { url: string; out?: string; point?: string; requests?: number; model?: string }) => {
        const { loadCommand } = await import('./load-command.js');
        const { result, dir, failures } = await loadCommand(file, o);
        const m = result.metrics;
        process.stdout.write(
          `${result.name} ${result.id}: ${result.completed} completed, ${result.rejected} failed; TTFT p50/p99 ${m.ttft_ms.p50.toFixed(1)}/${m.ttft_ms.p99.toFixed(1)} ms, TPOT p50/p99 ${m.tpot_ms.p50.toFixed(2)}/${m.tpot_ms.p99.toFixed(2)} ms, ${m.throughput_rps.toFixed(2)} req/s -> ${dir}/summary.json\n`,
        );
        for (const [reason, n] of failures) process.stderr.write(`warning: ${n} requests failed: ${reason}\n`);
        if (result.completed === 0) {
          process.stderr.write(`error: no request completed (is ${o.url} serving ${o.model ?? 'the experiment model'}?)\n`);
          return EXIT_FAILED;
        }
      }),
    );
  program
    .command('replay')
    .description("replay a gateway's decision log through a fresh policy and report decisions that differ")
    .argument('<log>', 'decisions JSONL written by sim gateway (log.decisions)')
    .requiredOption('--config <file>', 'the gateway config that made the log (its router and policy options)')
    .action(
      action(async (log: string, o: { config: string }) => {
        const { loadGatewayConfig } = await import('./gateway-config.js');
        const { readDecisionLog, replayDecisions } = await import('../gateway/index.js');
        const { randomStream } = await import('../engine/index.js');
        const { config, router } = await loadGatewayConfig(o.config, warn);
        const { header, calls } = readDecisionLog(log);
        const { decisions, mismatches } = replayDecisions(header, calls, router, randomStream(header.seed ?? config.seed, 'router'));
        process.stdout.write(`${calls.length} calls, ${decisions} decisions, ${mismatches.length} differ\n`);
        for (const m of mismatches.slice(0, 20)) process.stdout.write(`call ${m.call}: logged ${JSON.stringify(m.expected)}, replayed ${JSON.stringify(m.got)}\n`);
        return mismatches.length > 0 ? 1 : 0;
      }),
    );
}
