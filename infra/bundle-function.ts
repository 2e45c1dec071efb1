// Bundles one Lambda function for the construct (`functionCode` in bundling.ts runs this in a child
// process, since CDK's local bundling is synchronous and esbuild's plugins need its async API):
//   node --import tsx infra/bundle-function.ts <entry.ts> <output dir> [bundled|sdk-external] [stub|schema]
// The last argument is what the bundle carries for the config's fleet section (FleetSchemaMode).
import path from 'node:path';
import { build } from 'esbuild';
import { BUNDLE_FILE, esbuildOptions, type FleetSchemaMode, type SdkMode } from './bundling.ts';

const [entry, outDir, mode = 'bundled', fleetSchema = 'stub'] = process.argv.slice(2);
if (
  !entry ||
  !outDir ||
  (mode !== 'bundled' && mode !== 'sdk-external') ||
  (fleetSchema !== 'stub' && fleetSchema !== 'schema')
) {
  console.error(
    'usage: node --import tsx infra/bundle-function.ts <entry.ts> <output dir> [bundled|sdk-external] [stub|schema]',
  );
  process.exit(2);
}
await build({
  ...esbuildOptions(mode as SdkMode, fleetSchema as FleetSchemaMode),
  entryPoints: [path.resolve(entry)],
  outfile: path.join(outDir, BUNDLE_FILE),
  absWorkingDir: path.resolve(import.meta.dirname, '..'),
  logLevel: 'warning',
});
