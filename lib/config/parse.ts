import { LineCounter, parseDocument } from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors.ts';
import type { LbGuardConfig } from './schema.ts';
import { type ConfigValidation, validateConfig } from './validate.ts';

export type { ConfigIssue } from '../errors.ts';
export { formatConfigIssues } from '../errors.ts';
export { formatIssuePath } from './issues.ts';

export type ParseConfigResult = ConfigValidation;

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
  return validateConfig(read.data, source);
}

/** `parseConfig` for callers that stop on a bad file (CDK synth, lambda cold start). */
export function loadConfigOrThrow(text: string, source: string): LbGuardConfig {
  const result = parseConfig(text, source);
  if (!result.ok) throw new ConfigError(source, result.issues);
  return result.config;
}
