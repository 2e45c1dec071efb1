// Prints the shell commands that publish a StackSet template's Lambda code to every region's
// bucket (docs/fleet-rollout.md). It runs nothing and calls no AWS API: review the lines, then
// pipe them to `bash` with the credentials of the account that owns the buckets.
//
//   npx tsx scripts/stackset-assets.ts <cdk.out> <StackName> <region> [<region>…] | bash
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type AssetManifest, assetPublishCommands } from '../infra/stack-set.ts';

const [cloudAssemblyDir, stackName, ...regions] = process.argv.slice(2);
if (cloudAssemblyDir === undefined || stackName === undefined || regions.length === 0) {
  process.stderr.write('usage: stackset-assets.ts <cdk.out> <StackName> <region> [<region>…]\n');
  process.exit(2);
}
const bad = regions.filter((r) => !/^[a-z]{2}(-[a-z]+)+-\d$/.test(r));
if (bad.length > 0) {
  process.stderr.write(`stackset-assets: not a region: ${bad.join(', ')}\n`);
  process.exit(2);
}
const manifestPath = path.join(cloudAssemblyDir, `${stackName}.assets.json`);
let manifest: AssetManifest;
try {
  manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as AssetManifest;
} catch (error) {
  process.stderr.write(
    `stackset-assets: cannot read ${manifestPath} (${(error as Error).message}); synthesize the stackSet template first\n`,
  );
  process.exit(1);
}
process.stdout.write(`${assetPublishCommands(manifest, cloudAssemblyDir, regions).join('\n')}\n`);
