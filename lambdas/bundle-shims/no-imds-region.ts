// Stands in for @smithy/core's EC2 instance-metadata region lookup in the deployed bundles
// (infra/sdk-fallbacks.ts). Lambda sets AWS_REGION and has no instance metadata, where the real
// lookup ends in `undefined` after its timeout; this answers `undefined` at once.

export async function getInstanceMetadataRegion(): Promise<string | undefined> {
  return undefined;
}
