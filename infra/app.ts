#!/usr/bin/env -S npx tsx
// The stand-alone CDK app (cdk.json runs it with tsx). A bad config stops here, before any
// construct exists, with one line per problem naming the file and the path inside it.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { LbGuardConfig } from '../lib/config/index.ts';
import { loadConfigFile } from './config-file.ts';
import { LbGuardFleetRoleStack } from './hub/fleet-role-stack.ts';
import { HubConfigError } from './hub/hub-config.ts';
import { LbGuardHubStack } from './hub/hub-stack.ts';
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

// `-c stack=hub` synthesizes the fleet hub, `-c stack=fleet-role` the fleet reader role (a
// StackSet template); without it, the spoke, as always.
const which = app.node.tryGetContext('stack') as unknown;
if (which !== undefined && which !== 'spoke' && which !== 'hub' && which !== 'fleet-role') {
  console.error(
    `lbguard: context stack must be "spoke" (the default), "hub" or "fleet-role", not ${JSON.stringify(which)}`,
  );
  process.exit(1);
}
if (which === 'hub') {
  synthesizeHub(loaded.config);
} else if (which === 'fleet-role') {
  synthesizeFleetRole(loaded.config);
} else {
  synthesizeSpoke(loaded.config);
}

function synthesizeSpoke(config: LbGuardConfig): void {
  const env = stackEnvironmentFor(config);
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
    config,
    trail: (trail as LbGuardTrailMode | undefined) ?? 'existing',
    verifyAfterDeploy: verifyAfterDeploy === true || verifyAfterDeploy === 'true',
    dashboard: dashboard === true || dashboard === 'true',
  });
}

function synthesizeHub(config: LbGuardConfig): void {
  const stackName = (app.node.tryGetContext('lbguard:hubStackName') as string | undefined) ?? 'LbGuardHub';
  const region = config.region ?? process.env.CDK_DEFAULT_REGION;
  try {
    new LbGuardHubStack(app, stackName, {
      description: `lbguard ${LBGUARD_VERSION} hub: the fleet's bus, coverage alarm and dashboard`,
      env: {
        ...(process.env.CDK_DEFAULT_ACCOUNT === undefined
          ? {}
          : { account: process.env.CDK_DEFAULT_ACCOUNT }),
        ...(region === undefined ? {} : { region }),
      },
      config,
    });
  } catch (error) {
    if (!(error instanceof HubConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

function synthesizeFleetRole(config: LbGuardConfig): void {
  if (config.fleet === undefined) {
    console.error(
      'lbguard fleet role: the config has no fleet section; add fleet: { roleName, accounts or organization: true, regions } (docs/fleet-hub.md)',
    );
    process.exit(1);
  }
  new LbGuardFleetRoleStack(app, 'LbGuardFleetRole', {
    description: `lbguard ${LBGUARD_VERSION} fleet reader role (deploy to every account, one region)`,
    roleName: config.fleet.roleName,
    ...(config.tableName === undefined ? {} : { stateTableName: config.tableName }),
  });
}

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
