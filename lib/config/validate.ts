import type { ConfigIssue } from '../errors.ts';
import { describeIssue, toConfigIssues } from './issues.ts';
import { configSchema, type LbGuardConfig } from './schema.ts';

// The step both config entries share once their text is data: the YAML/JSON one (parse.ts) and
// the JSON-only one (json.ts) must give the same answer for the same document.

export type ConfigValidation =
  | { readonly ok: true; readonly config: LbGuardConfig }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

/**
 * Validates parsed config data against the schema. An empty document (`null`, or nothing at all)
 * gets one issue pointing at the example file rather than "expected an object". `source` only
 * names the text in that message.
 */
export function validateConfig(data: unknown, source: string): ConfigValidation {
  if (data === null || data === undefined) {
    return {
      ok: false,
      issues: [
        { path: '(top level)', message: `${source} is empty; start from lbguard.config.example.yaml` },
      ],
    };
  }
  const result = configSchema.safeParse(data, { error: describeIssue });
  return result.success
    ? { ok: true, config: result.data }
    : { ok: false, issues: toConfigIssues(result.error.issues) };
}
