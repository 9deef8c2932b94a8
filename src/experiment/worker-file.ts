import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * A compiled worker file (`name`.js in this directory). From dist/ it sits next to this module;
 * when this module runs from src/ (tests run the TypeScript directly) workers still need
 * JavaScript, so they use the build in dist/ that `npm install` made.
 */
export function workerFile(name = 'point-worker'): string {
  const candidates = [new URL(`./${name}.js`, import.meta.url), new URL(`../../dist/experiment/${name}.js`, import.meta.url)];
  for (const url of candidates) {
    const path = fileURLToPath(url);
    if (existsSync(path)) return path;
  }
  throw new Error(`the ${name} is not built (dist/experiment/${name}.js is missing): run npm run build`);
}
