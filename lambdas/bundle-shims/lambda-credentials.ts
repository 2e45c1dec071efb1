// Stands in for `@aws-sdk/credential-provider-node` in the deployed bundles (an esbuild alias in
// infra/bundling.ts), never imported by name. The SDK's default chain also carries SSO, INI
// profiles, credential_process, web identity, login and EC2 metadata providers, and with them
// `@aws-sdk/nested-clients` (STS, SSO, SSO-OIDC, Signin): 100–125 KiB a function, measured, that
// no Lambda runs. Lambda hands credentials over in environment variables, or (SnapStart, for one)
// through the container credentials endpoint; those two are kept, in the SDK's own code. Tests,
// the CLI and the drill run the sources, with the full chain.
// The three packages below are the SDK clients' own dependencies, hoisted to the repository's
// node_modules, not lbguard's: if a lockfile change nests them, the bundle test fails to build.
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { fromHttp } from '@aws-sdk/credential-provider-http';
import { CredentialsProviderError, chain, memoize } from '@smithy/core/config';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Logger } from '@smithy/types';

/** What the SDK clients pass to `defaultProvider` (their resolved config); only `logger` is read. */
export interface LambdaCredentialsInit {
  readonly logger?: Logger;
}

const CONTAINER_URI_VARIABLES = [
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
];

/** Refresh five minutes ahead, as the SDK's own chain does, so no request signs with a dying key. */
const REFRESH_AHEAD_MS = 300_000;

/** The error a bundle outside Lambda (or a broken runtime) gets instead of an SDK-internal one. */
export const NO_LAMBDA_CREDENTIALS_MESSAGE =
  'lbguard: no AWS credentials. The deployed bundle reads them only from AWS_ACCESS_KEY_ID and ' +
  'AWS_SECRET_ACCESS_KEY (set by Lambda) or from the container credentials endpoint ' +
  '(AWS_CONTAINER_CREDENTIALS_FULL_URI or AWS_CONTAINER_CREDENTIALS_RELATIVE_URI). Outside Lambda, ' +
  "run the TypeScript sources (tsx), which use the SDK's full provider chain (profiles, SSO…).";

/**
 * The SDK clients' `credentialDefaultProvider` for code running in Lambda: environment variables,
 * then the container credentials endpoint when Lambda advertises one, memoised until five
 * minutes before expiry.
 */
export function defaultProvider(init: LambdaCredentialsInit = {}): AwsCredentialIdentityProvider {
  const options = init.logger === undefined ? {} : { logger: init.logger };
  const fromContainer: AwsCredentialIdentityProvider = async () => {
    // fromHttp throws at construction when no endpoint is set, with a message about containers;
    // at this point the environment had no keys either, so say what this bundle expects.
    if (!CONTAINER_URI_VARIABLES.some((name) => process.env[name])) {
      throw new CredentialsProviderError(NO_LAMBDA_CREDENTIALS_MESSAGE, { tryNextLink: false });
    }
    return fromHttp(options)();
  };
  return memoize(
    chain(fromEnv(options), fromContainer),
    (c: AwsCredentialIdentity) =>
      c.expiration !== undefined && c.expiration.getTime() - Date.now() < REFRESH_AHEAD_MS,
    (c: AwsCredentialIdentity) => c.expiration !== undefined,
  );
}
