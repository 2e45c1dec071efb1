// Stands in for @smithy/core's S3 endpoint customization in the deployed bundles
// (infra/sdk-fallbacks.ts). The endpoint resolver calls it only for a client whose service is S3,
// and no lbguard function carries an S3 client (test/unit/infra/bundles.test.ts checks); should one,
// its first call fails here with this message instead of resolving a bucket endpoint wrongly.

export const NO_S3_ENDPOINTS_MESSAGE =
  "lbguard: the deployed bundles leave out the AWS SDK's S3 endpoint rules (infra/sdk-fallbacks.ts); " +
  'remove that replacement before calling S3 from a function.';

export async function resolveParamsForS3(): Promise<never> {
  throw new Error(NO_S3_ENDPOINTS_MESSAGE);
}
