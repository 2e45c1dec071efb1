import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * lbguard's version, read from its package.json so that the CLI, the lint plugin and the stack
 * report one number. This file runs from two places: `infra/` in a clone (package.json one level
 * up) and `dist/infra/` in an installed package (two levels up).
 */
export const LBGUARD_VERSION: string = readPackageVersion(import.meta.dirname);

function readPackageVersion(dir: string): string {
  const candidates = [path.resolve(dir, '..', 'package.json'), path.resolve(dir, '..', '..', 'package.json')];
  for (const file of candidates) {
    let pkg: { name?: unknown; version?: unknown };
    try {
      pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
    } catch {
      continue; // not there (the other layout), or not JSON: try the next one
    }
    if (pkg.name === 'lbguard' && typeof pkg.version === 'string') return pkg.version;
  }
  throw new Error(`lbguard: no package.json of lbguard at ${candidates.join(' or ')}; reinstall lbguard`);
}
