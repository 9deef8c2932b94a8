import type { z } from 'zod';

type Issue = z.core.$ZodIssue;

/**
 * One readable line for a zod issue: "field.path: message". For a union that failed in every
 * branch, reports the branch that got furthest (the longest issue path), so `{process: gamma}`
 * says that `cv` is missing rather than "Invalid input".
 */
export function describeIssue(issue: Issue, prefix: readonly PropertyKey[] = []): { where: string; message: string } {
  let path = [...prefix, ...issue.path];
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    message = unknownKeysMessage('key', issue.keys);
  } else if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const best = bestBranch(issue.errors);
    if (best !== undefined) return describeIssue(best, path);
  }
  return { where: formatPath(path), message };
}

/** The issue to report for `issue`: for a union that failed in every branch, the branch that got furthest, with its full path. */
export function reportedIssue(issue: Issue): { issue: Issue; path: PropertyKey[] } {
  let path: PropertyKey[] = [...issue.path];
  while (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const best = bestBranch(issue.errors);
    if (best === undefined) break;
    issue = best;
    path = [...path, ...best.path];
  }
  return { issue, path };
}

/**
 * Zod's message, except that a missing field says so plainly and unknown keys are "unknown
 * field"s (the YAML files' wording; the path is reported separately).
 */
export function issueMessage(issue: Issue): string {
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) {
    return `missing required field (expected ${issue.expected})`;
  }
  if (issue.code === 'unrecognized_keys') return unknownKeysMessage('field', issue.keys);
  return issue.message;
}

/** 'unknown key "a"', 'unknown fields "a", "b"'. */
function unknownKeysMessage(noun: string, keys: readonly string[]): string {
  return `unknown ${noun}${keys.length > 1 ? 's' : ''} ${keys.map((k) => JSON.stringify(k)).join(', ')}`;
}

function bestBranch(branches: Issue[][]): Issue | undefined {
  let best: Issue | undefined;
  let bestScore = -1;
  for (const branch of branches) {
    for (const issue of branch) {
      // Deeper paths got further; a type mismatch at the root means the branch did not apply.
      const score = issue.path.length * 2 + (issue.code === 'invalid_type' ? 0 : 1);
      if (score > bestScore) {
        best = issue;
        bestScore = score;
      }
    }
  }
  return best;
}

/** ["sources", 0, "rate"] → "sources[0].rate". */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}
