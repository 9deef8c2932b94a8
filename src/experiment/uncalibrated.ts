/**
 * The one warning line a run prints (on stderr, never into results) when its fleet uses GPUs
 * whose timing is not calibrated on measurements of that GPU.
 */
import { experimentCatalogs } from './experiment-catalogs.js';
import type { LoadedExperiment } from './load.js';

export function uncalibratedGpuWarning(exp: LoadedExperiment): string | undefined {
  const { gpus } = experimentCatalogs(exp.base, exp);
  const flagged = new Map<string, string>();
  for (const point of exp.points) {
    for (const entry of point.config.fleet) {
      if (!gpus.has(entry.gpu)) continue; // the run reports unknown names itself
      const gpu = gpus.get(entry.gpu);
      const status = gpu.calibration?.status ?? 'datasheet';
      if (status !== 'calibrated') flagged.set(gpu.name, status);
    }
  }
  if (flagged.size === 0) return undefined;
  const list = [...flagged].map(([name, status]) => `${name} (${status})`).join(', ');
  return `warning: ${exp.name}: uncalibrated GPU${flagged.size === 1 ? '' : 's'} in the fleet: ${list}; their step times are not fitted to measurements of that GPU (sim list gpus, docs/timing.md)`;
}
