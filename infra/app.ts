#!/usr/bin/env -S npx tsx
// The stand-alone CDK app (cdk.json runs it with tsx). A bad config stops here, before any
// construct exists, with one line per problem naming the file and the path inside it.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfigFile } from './config-file.ts';
import type { LbGuardTrailMode } from './lbguard-construct.ts';
import { LbGuardStack, stackEnvironmentFor } from './lbguard-stack.ts';
import { LBGUARD_VERSION } from './package-version.ts';

const app = new App();

const contextPath: unknown = app.node.tryGetContext('config');
const loaded = loadConfigFile({
  ...(typeof contextPath === 'string' ? { contextPath } : {}),
  ...(process.env.LBGUARD_CONFIG === undefined ? {} : { envPath: process.env.LBGUARD_CONFIG }),
  cwd: process.cwd(),
});
if (!loaded.ok) {
  console.error(loaded.message);
  process.exit(1);
}
if (loaded.source.endsWith('lbguard.config.example.yaml')) {
  console.error(
    `lbguard: no lbguard.config.yaml found; synthesizing ${loaded.source}. Copy it to lbguard.config.yaml and edit it before deploying.`,
  );
}

const env = stackEnvironmentFor(loaded.config);
if (!env.ok) {
  console.error(env.message);
  process.exit(1);
}

const trail = app.node.tryGetContext('lbguard:trail') as unknown;
if (trail !== undefined && trail !== 'existing' && trail !== 'create') {
  console.error(
    `lbguard: context lbguard:trail must be "existing" or "create", not ${JSON.stringify(trail)}`,
  );
  process.exit(1);
}
const verifyAfterDeploy = app.node.tryGetContext('lbguard:verifyAfterDeploy') as unknown;
// `-c lbguard:dashboard=true`: the dashboard is opt-in (LbGuardProps.dashboard says why).
const dashboard = app.node.tryGetContext('lbguard:dashboard') as unknown;

// `-c lbguard:stackSetAssetBucketPrefix=<prefix>`: the StackSet template (docs/fleet-rollout.md),
// environment-agnostic, its code in the `<prefix>-<region>` buckets.
const stackSetPrefix = app.node.tryGetContext('lbguard:stackSetAssetBucketPrefix') as unknown;
if (stackSetPrefix !== undefined && typeof stackSetPrefix !== 'string') {
  console.error('lbguard: context lbguard:stackSetAssetBucketPrefix must be the start of a bucket name');
  process.exit(1);
}
// A config that lists no service (discovery alone) names no account: the credentials' account then.
const account = env.account === '' ? process.env.CDK_DEFAULT_ACCOUNT : env.account;
const region = env.region === '' ? process.env.CDK_DEFAULT_REGION : env.region;

new LbGuardStack(app, (app.node.tryGetContext('lbguard:stackName') as string | undefined) ?? 'LbGuard', {
  description: `lbguard ${LBGUARD_VERSION}: keeps an Application Load Balancer serving when its own configuration breaks`,
  ...(stackSetPrefix === undefined
    ? {
        env: {
          ...(account === undefined ? {} : { account }),
          ...(region === undefined ? {} : { region }),
        },
      }
    : { stackSet: { assetBucketPrefix: stackSetPrefix } }),
  config: loaded.config,
  trail: (trail as LbGuardTrailMode | undefined) ?? 'existing',
  verifyAfterDeploy: verifyAfterDeploy === true || verifyAfterDeploy === 'true',
  dashboard: dashboard === true || dashboard === 'true',
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
