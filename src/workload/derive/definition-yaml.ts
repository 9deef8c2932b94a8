import type { QuantileTableSpec, WorkloadDefinition } from '../definition.js';

const PER_LINE = 12;

/**
 * Writes a definition as readable YAML: provenance first, quantile tables as wrapped flow
 * sequences (twelve values a line). Strings are JSON-quoted, which YAML reads as-is.
 */
export function definitionToYaml(def: WorkloadDefinition, header: readonly string[] = []): string {
  const out: string[] = header.map((h) => `# ${h}`);
  out.push(`name: ${JSON.stringify(def.name)}`);
  out.push(`description: ${JSON.stringify(def.description)}`);
  out.push('source:');
  for (const [k, v] of Object.entries(def.source)) if (v !== undefined) out.push(`  ${k}: ${JSON.stringify(v)}`);
  if (def.promptTokens) table(out, 'promptTokens', def.promptTokens, '');
  if (def.suffixTokens) table(out, 'suffixTokens', def.suffixTokens, '');
  table(out, 'outputTokens', def.outputTokens, '');
  if (def.prefixes) {
    out.push('prefixes:');
    out.push(`  hashBlockTokens: ${def.prefixes.hashBlockTokens}`);
    out.push('  groups:');
    for (const g of def.prefixes.groups) {
      out.push(`    - name: ${JSON.stringify(g.name)}`);
      out.push(`      tokens: ${g.tokens}`);
      out.push(`      weight: ${g.weight}`);
      if (g.suffixTokens) table(out, 'suffixTokens', g.suffixTokens, '      ');
      if (g.outputTokens) table(out, 'outputTokens', g.outputTokens, '      ');
    }
  }
  return out.join('\n') + '\n';
}

function table(out: string[], key: string, t: QuantileTableSpec, indent: string): void {
  const q = t.quantiles;
  out.push(`${indent}${key}:`);
  out.push(`${indent}  # ${q.length} quantiles at p = 0, 1/${q.length - 1}, ..., 1`);
  const rows: string[] = [];
  for (let i = 0; i < q.length; i += PER_LINE) rows.push(q.slice(i, i + PER_LINE).join(', '));
  const pad = `${indent}    `;
  out.push(`${indent}  quantiles: [${rows.length > 1 ? '' : rows[0] + ']'}`);
  if (rows.length > 1) rows.forEach((r, i) => out.push(`${pad}${r}${i === rows.length - 1 ? ']' : ','}`));
}
