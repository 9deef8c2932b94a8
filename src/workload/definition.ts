import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InputError } from '../input-error.js';
import { describeIssue } from '../zod-issue.js';

/** K quantiles at probabilities 0, 1/(K−1), …, 1 of a token-count distribution. */
const quantileTable = z
  .strictObject({
    quantiles: z.array(z.number().nonnegative()).min(2),
  })
  .superRefine((t, ctx) => {
    for (let i = 1; i < t.quantiles.length; i++) {
      if (t.quantiles[i] < t.quantiles[i - 1]) {
        ctx.addIssue({ code: 'custom', path: ['quantiles', i], message: 'quantiles must be non-decreasing' });
        return;
      }
    }
  });

/** One shared prefix (a BIRD database schema): its length, its share, optional own tables. */
const prefixGroup = z.strictObject({
  name: z.string().min(1),
  /** Tokens of the shared prefix, identical for every request of the group. */
  tokens: z.int().nonnegative(),
  /** Relative share of requests (normalized over the groups). */
  weight: z.number().positive(),
  suffixTokens: quantileTable.optional(),
  outputTokens: quantileTable.optional(),
});

export const definitionSchema = z
  .strictObject({
    name: z.string().min(1),
    description: z.string(),
    /** Where the numbers come from. */
    source: z.strictObject({
      data: z.string(),
      repository: z.string().optional(),
      commit: z.string().optional(),
      license: z.string().optional(),
      tokenizer: z.string().optional(),
      derivation: z.string().optional(),
    }),
    /** Whole prompt, for definitions without shared prefixes. */
    promptTokens: quantileTable.optional(),
    /** Prompt tokens after the group's shared prefix (unique per request, not hashed). */
    suffixTokens: quantileTable.optional(),
    outputTokens: quantileTable,
    prefixes: z
      .strictObject({
        /** Tokens per prefix hash (16: vLLM's block size). */
        hashBlockTokens: z.int().positive(),
        groups: z.array(prefixGroup).min(1),
      })
      .optional(),
  })
  .superRefine((d, ctx) => {
    if (d.prefixes === undefined) {
      if (d.promptTokens === undefined) {
        ctx.addIssue({ code: 'custom', path: ['promptTokens'], message: 'required (or give prefixes and suffixTokens)' });
      }
      if (d.suffixTokens !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['suffixTokens'], message: 'only allowed with prefixes' });
      }
      return;
    }
    if (d.promptTokens !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['promptTokens'], message: 'with prefixes, give suffixTokens instead' });
    }
    d.prefixes.groups.forEach((g, i) => {
      if (g.suffixTokens === undefined && d.suffixTokens === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['prefixes', 'groups', i, 'suffixTokens'],
          message: 'required here or at the top level',
        });
      }
    });
    const seen = new Set<string>();
    d.prefixes.groups.forEach((g, i) => {
      if (seen.has(g.name)) {
        ctx.addIssue({ code: 'custom', path: ['prefixes', 'groups', i, 'name'], message: `duplicate group "${g.name}"` });
      }
      seen.add(g.name);
    });
  });

/** A workload definition file: synthetic token-length distributions and shared prefixes. */
export type WorkloadDefinition = z.infer<typeof definitionSchema>;
export type QuantileTableSpec = z.infer<typeof quantileTable>;

/** Validates a parsed definition; errors name the file and the field. */
export function parseDefinition(raw: unknown, file: string): WorkloadDefinition {
  const result = definitionSchema.safeParse(raw);
  if (!result.success) {
    const { where, message } = describeIssue(result.error.issues[0]);
    throw new InputError(message, file, where || undefined);
  }
  return result.data;
}

/** Parsed definitions by file and text: a sweep opens the same definition once per point. */
const parsed = new Map<string, { text: string; definition: WorkloadDefinition }>();

/** Reads and validates a definition YAML file (treat the result as read-only: it is shared). */
export function loadDefinition(file: string): WorkloadDefinition {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'file not found' : `cannot read file (${code})`, file);
  }
  const cached = parsed.get(file);
  if (cached && cached.text === text) return cached.definition;
  const definition = parseDefinitionText(text, file);
  parsed.set(file, { text, definition });
  return definition;
}

function parseDefinitionText(text: string, file: string): WorkloadDefinition {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    const e = err as Error & { linePos?: { line: number }[] };
    const line = e.linePos?.[0]?.line;
    throw new InputError(`invalid YAML: ${e.message.split('\n')[0]}`, file, line ? `line ${line}` : undefined);
  }
  return parseDefinition(raw, file);
}
