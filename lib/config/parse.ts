import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors.ts';
import { configSchema, type LbGuardConfig } from './schema.ts';

export type { ConfigIssue } from '../errors.ts';
export { formatConfigIssues } from '../errors.ts';

export type ParseConfigResult =
  | { readonly ok: true; readonly config: LbGuardConfig }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

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

/** What kind of value YAML produced; never the value itself. */
function describeReceived(input: unknown): string {
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
      // YAML yields no other kind of value.
      return 'true or false';
  }
}

/**
 * Messages for the issues the schema leaves to zod (type mismatches, mostly). Says what kind of
 * value was received, never the value itself.
 */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
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

function toConfigIssues(issues: readonly z.core.$ZodIssue[]): ConfigIssue[] {
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

function readDocument(text: string): { ok: true; data: unknown } | { ok: false; issues: ConfigIssue[] } {
  const lineCounter = new LineCounter();
  // prettyErrors would quote the offending source line, which may hold a secret.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, merge: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((error) => {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        return { path: `line ${line}, column ${col}`, message: `${error.message} (YAML syntax)` };
      }),
    };
  }
  try {
    return { ok: true, data: doc.toJS() };
  } catch (error) {
    // Unresolved aliases and alias bombs surface here rather than in doc.errors.
    return { ok: false, issues: [{ path: '(top level)', message: String(error) }] };
  }
}

/**
 * Parses and validates the text of `lbguard.config.yaml` (JSON is YAML too). Pure: the caller
 * reads the file; `source` only names it. Returns every problem at once, each with its path.
 */
export function parseConfig(text: string, source: string): ParseConfigResult {
  const read = readDocument(text);
  if (!read.ok) return read;
  if (read.data === null || read.data === undefined) {
    return {
      ok: false,
      issues: [
        { path: '(top level)', message: `${source} is empty; start from lbguard.config.example.yaml` },
      ],
    };
  }
  const result = configSchema.safeParse(read.data, { error: describeIssue });
  return result.success
    ? { ok: true, config: result.data }
    : { ok: false, issues: toConfigIssues(result.error.issues) };
}

/** `parseConfig` for callers that stop on a bad file (CDK synth, lambda cold start). */
export function loadConfigOrThrow(text: string, source: string): LbGuardConfig {
  const result = parseConfig(text, source);
  if (!result.ok) throw new ConfigError(source, result.issues);
  return result.config;
}
