// Moved to src/yaml-input.ts; kept for src/plan, which still imports it from here.
export { readYamlFile, parseYamlText, type YamlInput } from '../yaml-input.js';
