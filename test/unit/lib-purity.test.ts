import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// lib/ is the pure core (DESIGN.md "Layers"). Biome's noRestrictedImports catches imports at
// lint time; this test also catches process.env, clock reads and dynamic imports.
const forbidden: readonly [RegExp, string][] = [
  [/from\s+['"]@aws-sdk\//, 'imports the AWS SDK'],
  [/from\s+['"]aws-cdk-lib/, 'imports aws-cdk-lib'],
  [/from\s+['"]constructs['"]/, 'imports constructs'],
  [/from\s+['"]@middy\//, 'imports middy'],
  [/from\s+['"]@aws-lambda-powertools\//, 'imports Powertools'],
  [/import\(\s*['"]/, 'uses a dynamic import'],
  [/process\.env/, 'reads process.env'],
  [/Date\.now\(|new Date\(\s*\)/, 'reads the clock (pass time in as an argument)'],
  [/Math\.random\(/, 'uses an unseeded random source'],
];

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('lib/ purity', () => {
  const files = tsFiles('lib');

  it('has source files to check', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s does no I/O, reads no environment and no clock', (file) => {
    const text = readFileSync(file, 'utf8');
    const problems = forbidden.filter(([re]) => re.test(text)).map(([, why]) => `${file} ${why}`);
    expect(problems).toEqual([]);
  });
});
