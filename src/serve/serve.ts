import type { Server } from 'node:http';
import { Simulator } from '../engine/index.js';
import { closeServer, isLoopback, listen } from '../llm-http/index.js';
import { createInstanceServer } from './instance-server.js';
import { KvHandoff, type HandoffLink } from './kv-handoff.js';
import { ServedInstance, type ServedInstanceSpec } from './served-instance.js';
import { WallClock } from './wall-clock.js';

export interface ServeOptions {
  instances: readonly ServedInstanceSpec[];
  /** The model name the servers answer to (/v1/models, the `model` field). */
  modelName: string;
  /** Loopback address to bind (default 127.0.0.1). */
  host?: string;
  /** Instance i listens on basePort + i; 0 = ephemeral ports chosen by the OS. */
  basePort?: number;
  /** P->D KV path of disaggregated requests. */
  link: HandoffLink;
  /** Wall clock, seconds (injected at this edge). Default performance.now. */
  now?: () => number;
}

export interface ServedEndpoint {
  id: string;
  gpuType: string;
  role: 'unified' | 'prefill' | 'decode';
  port: number;
  url: string;
}

export interface ServeHandle {
  endpoints: ServedEndpoint[];
  /** The simulated instances, for inspection. */
  served: ServedInstance[];
  close(): Promise<void>;
}

/**
 * `sim serve`: one OpenAI-compatible HTTP server per simulated instance, all driven by one
 * simulator on the wall clock (so P->D handoffs between them are simulated events too).
 */
export async function startServe(opts: ServeOptions): Promise<ServeHandle> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopback(host)) throw new Error(`sim serve binds loopback addresses only, not ${host}`);
  const sim = new Simulator();
  const clock = new WallClock(sim, opts.now ?? (() => performance.now() / 1000));
  const handoff = new KvHandoff(sim, opts.link);
  let nextId = 0;
  const servers: Server[] = [];
  const endpoints: ServedEndpoint[] = [];
  const served: ServedInstance[] = [];
  try {
    for (let i = 0; i < opts.instances.length; i++) {
      const spec = opts.instances[i];
      const s = new ServedInstance(spec, sim, handoff);
      served.push(s);
      const server = createInstanceServer({
        served: s,
        clock,
        modelName: opts.modelName,
        nextId: () => nextId++,
        epochSeconds: () => Date.now() / 1000,
      });
      servers.push(server);
      const port = await listen(server, host, opts.basePort ? opts.basePort + i : 0);
      const hostPart = host.includes(':') ? `[${host}]` : host;
      endpoints.push({ id: spec.id, gpuType: spec.gpuType, role: spec.role, port, url: `http://${hostPart}:${port}` });
    }
  } catch (err) {
    clock.stop();
    await Promise.all(servers.map(closeServer));
    throw err;
  }
  return {
    endpoints,
    served,
    async close() {
      clock.stop();
      await Promise.all(servers.map(closeServer));
    },
  };
}
