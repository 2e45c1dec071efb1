import { ConfigError, type ConfigIssue } from '../errors.ts';
import type { LbGuardConfig } from './schema.ts';
import { type ConfigValidation, validateConfig } from './validate.ts';

// The JSON-only entry: the functions read `LBGUARD_CONFIG`, which the CDK construct writes with
// JSON.stringify, so they need no YAML parser (113 KiB of each bundle). Validation and messages
// are those of `parseConfig` (parse.ts); test/unit/config.test.ts holds the two to the same
// answer for any JSON text.

export type ParseConfigJsonResult = ConfigValidation;

const JSON_WHITESPACE_ONLY = /^[\t\n\r ]*$/;

/**
 * Where JSON.parse stopped, as `line L, column C`. V8's message quotes the text around the
 * mistake, which may hold a probe token, so only the position is kept from it.
 */
function syntaxIssue(text: string, error: unknown): ConfigIssue {
  const position = /at position (\d+)/.exec(String(error))?.[1];
  if (position === undefined) {
    return { path: '(top level)', message: 'is not valid JSON (JSON syntax)' };
  }
  const before = text.slice(0, Number(position));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return { path: `line ${line}, column ${column}`, message: 'is not valid JSON (JSON syntax)' };
}

/**
 * Parses and validates lbguard config given as JSON text, with the schema and messages of
 * `parseConfig` but no YAML parser. Pure; `source` only names the text. Returns every problem.
 */
export function parseConfigJson(text: string, source: string): ParseConfigJsonResult {
  // Blank text is what YAML reads as an empty document; keep `parseConfig`'s answer for it.
  let data: unknown = null;
  if (!JSON_WHITESPACE_ONLY.test(text)) {
    try {
      data = JSON.parse(text);
    } catch (error) {
      return { ok: false, issues: [syntaxIssue(text, error)] };
    }
  }
  return validateConfig(data, source);
}

/** `parseConfigJson` for callers that stop on bad config (lambda cold start). */
export function loadConfigJsonOrThrow(text: string, source: string): LbGuardConfig {
  const result = parseConfigJson(text, source);
  if (!result.ok) throw new ConfigError(source, result.issues);
  return result.config;
}
