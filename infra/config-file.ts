import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  type ConfigIssue,
  formatConfigIssues,
  type LbGuardConfig,
  parseConfig,
} from '../lib/config/index.ts';

/** File names tried, in order, when no path is given. */
export const CONFIG_FILE_NAMES: readonly string[] = [
  'lbguard.config.yaml',
  'lbguard.config.yml',
  'lbguard.config.json',
];
/** Used when none of `CONFIG_FILE_NAMES` exists, so `cdk synth` works on a clean clone. */
export const EXAMPLE_CONFIG_FILE = 'lbguard.config.example.yaml';

/**
 * Where the config comes from: `-c config=…` wins over `LBGUARD_CONFIG`, which wins over the
 * default names. `LBGUARD_CONFIG` is a path, or (as inside the functions) the config as JSON.
 */
export interface ConfigLocation {
  readonly contextPath?: string;
  readonly envPath?: string;
  readonly cwd: string;
}

export type ResolvedConfigPath =
  | { readonly kind: 'explicit'; readonly path: string }
  | { readonly kind: 'default'; readonly path: string }
  | { readonly kind: 'example'; readonly path: string }
  | { readonly kind: 'missing'; readonly tried: readonly string[] };

/** Finds the config file to read, without reading it. */
export function resolveConfigPath(location: ConfigLocation): ResolvedConfigPath {
  const explicit = nonEmpty(location.contextPath) ?? nonEmpty(location.envPath);
  if (explicit !== undefined) {
    return { kind: 'explicit', path: path.resolve(location.cwd, explicit) };
  }
  const tried = CONFIG_FILE_NAMES.map((name) => path.join(location.cwd, name));
  const found = tried.find((candidate) => existsSync(candidate));
  if (found !== undefined) {
    return { kind: 'default', path: found };
  }
  const example = path.join(location.cwd, EXAMPLE_CONFIG_FILE);
  return existsSync(example) ? { kind: 'example', path: example } : { kind: 'missing', tried };
}

export type LoadConfigResult =
  | { readonly ok: true; readonly config: LbGuardConfig; readonly source: string }
  | { readonly ok: false; readonly message: string };

/**
 * Reads and validates the config for the CDK app. On failure `message` holds one line per
 * problem, each naming the file and the path inside it.
 */
export function loadConfigFile(location: ConfigLocation): LoadConfigResult {
  const inline = location.envPath?.trimStart();
  if (nonEmpty(location.contextPath) === undefined && inline?.startsWith('{') === true) {
    // Inside a function LBGUARD_CONFIG holds the config itself as JSON; a shell that exported it
    // for a local handler run gets the same reading here instead of a "file not found".
    return parseText(inline, 'LBGUARD_CONFIG');
  }
  const resolved = resolveConfigPath(location);
  if (resolved.kind === 'missing') {
    return {
      ok: false,
      message: `lbguard: no configuration found (tried ${resolved.tried.join(', ')}); copy ${EXAMPLE_CONFIG_FILE} to lbguard.config.yaml, or pass -c config=<path>`,
    };
  }
  const source = path.relative(location.cwd, resolved.path) || resolved.path;
  let text: string;
  try {
    text = readFileSync(resolved.path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, message: `lbguard: cannot read configuration ${source}: ${reason}` };
  }
  return parseText(text, source);
}

function parseText(text: string, source: string): LoadConfigResult {
  const parsed = parseConfig(text, source);
  if (!parsed.ok) {
    return { ok: false, message: describeInvalidConfig(source, parsed.issues) };
  }
  return { ok: true, config: parsed.config, source };
}

function describeInvalidConfig(source: string, issues: readonly ConfigIssue[]): string {
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  return `lbguard: ${source} is not valid (${count}); nothing was synthesized:\n${formatConfigIssues(source, issues)}`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
