// `npm pack`'s prepack (also `npm run build`): what an installed lbguard runs, built once here so a
// consumer needs neither TypeScript, tsx nor esbuild:
//   dist/{infra,lib,lambdas,cli,drill}/**/*.js   compiled by tsc (tsconfig.build.json)
//   dist/infra/**/*.d.ts, dist/lib/**/*.d.ts     the types of `lbguard/cdk` (tsconfig.types.json)
//   dist/lambda-bundles/<function>/index.js      each Lambda bundled exactly as a synth in a clone
//                                                bundles it (infra/bundle-function.ts), which the
//                                                construct deploys as it is (infra/bundling.ts)
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  BUNDLE_FILE,
  BUNDLE_SCRIPT,
  FUNCTION_NAMES,
  fleetSchemaModeOf,
  SOURCE_LAMBDAS_DIR,
} from '../infra/bundling.ts';

/** Lambda bundle budget per function (README "Performance"); a pack over it fails. */
const BUNDLE_BUDGET_BYTES = 500_000;

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');
const tsc = path.join(root, 'node_modules', '.bin', 'tsc');
const step = (line: string) => process.stderr.write(`build: ${line}\n`);

rmSync(dist, { recursive: true, force: true });
step('compiling JavaScript (tsconfig.build.json)');
execFileSync(tsc, ['-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
step('emitting the declarations of lbguard/cdk (tsconfig.types.json)');
execFileSync(tsc, ['-p', 'tsconfig.types.json'], { cwd: root, stdio: 'inherit' });
// Read as text at synth (verify-after-deploy.ts), so tsc does not carry it over.
cpSync(path.join(root, 'infra', 'relay'), path.join(dist, 'infra', 'relay'), {
  recursive: true,
  filter: (source) => !source.endsWith('.jsonc'),
});

for (const name of FUNCTION_NAMES) {
  const outDir = path.join(dist, 'lambda-bundles', name);
  execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      BUNDLE_SCRIPT,
      path.join(SOURCE_LAMBDAS_DIR, name, 'handler.ts'),
      outDir,
      'bundled',
      fleetSchemaModeOf(name),
    ],
    { cwd: root, stdio: 'inherit' },
  );
  const bytes = statSync(path.join(outDir, BUNDLE_FILE)).size;
  step(
    `bundled ${name}: ${bytes.toLocaleString('en')} bytes (budget ${BUNDLE_BUDGET_BYTES.toLocaleString('en')})`,
  );
  if (bytes > BUNDLE_BUDGET_BYTES) {
    step(`${name} is over its budget; nothing to pack`);
    process.exit(1);
  }
}
