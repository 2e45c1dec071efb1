import type * as z from 'zod/mini';
import type { ConfigIssue } from '../errors.ts';

// How schema issues become path-named messages: one implementation for both config entries,
// the YAML/JSON one (parse.ts, CLI and CDK) and the JSON-only one (json.ts, the functions).

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `['services', 0, 'probes', 1, 'url']` → `services[0].probes[1].url`; header names are quoted. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(String(segment))) out += out === '' ? String(segment) : `.${String(segment)}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out === '' ? '(top level)' : out;
}

function describeExpected(expected: string): string {
  switch (expected) {
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    case 'object':
    case 'record':
      return 'a mapping of keys to values';
    default:
      return `a ${expected}`;
  }
}

/** What kind of value the document held; never the value itself. */
export function describeReceived(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  switch (typeof input) {
    case 'object':
      return 'a mapping';
    case 'string':
      return 'a string';
    case 'number':
      if (Number.isInteger(input)) return 'a number';
      return Number.isFinite(input) ? 'a fraction' : String(input);
    default:
      // YAML and JSON yield no other kind of value.
      return 'true or false';
  }
}

/**
 * Messages for the issues the schema leaves to zod (type mismatches, mostly). Says what kind of
 * value was received, never the value itself.
 */
export function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code !== 'invalid_type') return undefined;
  const expected = describeExpected(issue.expected);
  if (issue.input === undefined) return `is required (${expected})`;
  const received = describeReceived(issue.input);
  const quoteHint =
    issue.expected === 'string' && typeof issue.input !== 'object'
      ? '; put it in quotes so YAML reads it as text'
      : '';
  return `must be ${expected}, not ${received}${quoteHint}`;
}

export function toConfigIssues(issues: readonly z.core.$ZodIssue[]): ConfigIssue[] {
  return issues.flatMap((issue): ConfigIssue[] => {
    switch (issue.code) {
      case 'unrecognized_keys': {
        // The schema's strict objects write one line per unknown key, in `keys` order.
        return issue.message.split('\n').map((message, index) => ({
          path: formatIssuePath([...issue.path, ...issue.keys.slice(index, index + 1)]),
          message,
        }));
      }
      case 'invalid_key':
        return issue.issues.map((inner) => ({
          path: formatIssuePath(issue.path),
          message: inner.message,
        }));
      default:
        return [{ path: formatIssuePath(issue.path), message: issue.message }];
    }
  });
}
