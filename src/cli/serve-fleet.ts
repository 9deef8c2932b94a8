import { dirname } from 'node:path';
import { z } from 'zod';
import { DEFAULT_RDMA } from '../experiment/resolve-router.js';
import { resolveFleet } from '../experiment/resolve-fleet.js';
import { fleetEntrySchema } from '../experiment/schema.js';
import { loadGpuCatalog, loadModelCatalog, deriveModel } from '../hardware/index.js';
import { InputError } from '../input-error.js';
import type { ServeOptions } from '../serve/index.js';
import { readYamlFile } from '../yaml-input.js';

/** A fleet file for `sim serve`: the model and fleet of an experiment, and where to listen. */
export const serveFleetSchema = z.strictObject({
  model: z.string().min(1).describe('Model from the catalog, e.g. Llama-3.1-8B'),
  servedModelName: z.string().min(1).optional().describe('Name the servers answer to (default: the model name)'),
  host: z
    .string()
    .default('127.0.0.1')
    .refine((h) => h === '127.0.0.1' || h === '::1' || h === 'localhost', 'sim serve listens on loopback only (127.0.0.1, ::1, localhost)'),
  basePort: z.int().min(0).max(65535).default(8100).describe('Instance i listens on basePort + i (0 = ephemeral ports)'),
  fleet: z.array(fleetEntrySchema).min(1),
  pd: z
    .strictObject({
      bandwidthGBs: z.number().positive().describe('P->D link bandwidth, GB/s (default 50: one 400 Gb/s NIC)'),
      latencyMs: z.number().nonnegative().describe('Fixed cost per transfer, ms (default 0.4)'),
    })
    .optional(),
});

/** Reads a fleet file into serve options (timing models and KV capacity resolved as `sim run` does). */
export function loadServeFleet(file: string, basePort?: number): ServeOptions {
  const input = readYamlFile(file);
  const cfg = input.check(serveFleetSchema, input.data);
  let model;
  try {
    model = loadModelCatalog().get(cfg.model);
  } catch (err) {
    throw new InputError((err as Error).message, file, input.where(['model']));
  }
  cfg.fleet.forEach((e, i) => {
    if (e.dp !== 1) throw new InputError('sim serve runs one engine per instance: dp must be 1', file, input.where(['fleet', i, 'dp']));
  });
  const { instances } = resolveFleet(cfg.fleet, model, loadGpuCatalog(), { file, baseDir: dirname(file), where: input.where });
  const port = basePort ?? cfg.basePort;
  if (port > 0 && port + instances.length - 1 > 65535) {
    const why = `instance i listens on basePort + i, and ${instances.length} instances from ${port} run past port 65535`;
    throw basePort !== undefined ? new InputError(`--base-port: ${why}`) : new InputError(why, file, input.where(['basePort']));
  }
  const kvBytesPerToken = deriveModel(model).kvBytesPerToken;
  return {
    modelName: cfg.servedModelName ?? cfg.model,
    host: cfg.host,
    basePort: port,
    link: cfg.pd ? { bandwidthGBs: cfg.pd.bandwidthGBs, latencyS: cfg.pd.latencyMs / 1000 } : DEFAULT_RDMA,
    instances: instances.map((s) => ({
      id: s.id,
      gpuType: s.gpuType,
      role: s.role,
      timing: s.timing,
      kvCapacityTokens: s.kvCapacityTokens,
      maxModelLen: s.maxModelLen,
      config: s.config,
      kvBytesPerToken,
    })),
  };
}
