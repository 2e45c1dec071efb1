// Stands in for @smithy/core's reader of the shared AWS config and credentials files
// (~/.aws/config, ~/.aws/credentials) in the deployed bundles (infra/sdk-fallbacks.ts). A Lambda
// function has neither file: the real reader finds none and answers empty files, as this does at
// once. Settings come from the environment (AWS_REGION, AWS_MAX_ATTEMPTS…) and the client
// configuration; credentials already come from lbguard's Lambda-only chain
// (lambdas/bundle-shims/lambda-credentials.ts), which reads no file either.

export async function loadSharedConfigFiles(): Promise<{
  readonly configFile: Record<string, never>;
  readonly credentialsFile: Record<string, never>;
}> {
  return { configFile: {}, credentialsFile: {} };
}
