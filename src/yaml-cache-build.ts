/**
 * Build step (`npm run build`): stores the parsed data of the package's shipped YAML files
 * (profiles/, workloads/, experiments/) in dist/yaml-cache/, see yaml-cache.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILT_YAML_CACHE, writeYamlCache, yamlFilesUnder } from './yaml-cache.js';
import { parseYamlData } from './yaml-input.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const files = yamlFilesUnder(['profiles', 'workloads', 'experiments'].map((d) => join(root, d)));
const texts = files.map((f) => {
  const text = readFileSync(f, 'utf8');
  return { text, data: parseYamlData(text, f) };
});
const n = writeYamlCache(texts, BUILT_YAML_CACHE);
process.stdout.write(`yaml cache: ${n} of ${files.length} shipped YAML files\n`);
