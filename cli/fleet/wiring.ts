import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { STSClient } from '@aws-sdk/client-sts';
import { type AwsClientOptions, awsClientConfig } from '../../lambdas/adapters/clients.ts';
import { Elbv2LoadBalancerDiscovery } from '../../lambdas/adapters/elbv2/discovery.ts';
import type { FleetConfig, LbGuardConfig } from '../../lib/config/index.ts';
import { partitionOf } from '../../lib/fleet/index.ts';
import type { CommandContext } from '../command.ts';
import {
  buildAwsContext,
  loadConfig,
  resolveEndpoint,
  resolveRegion,
  resolveStateKey,
  resolveTableName,
} from '../context.ts';
import { usageError } from '../exit.ts';
import { ListedAccounts, OrganizationsAccounts } from './accounts.ts';
import type { FleetPorts } from './fan-out.ts';
import { StsRoleAssumer } from './roles.ts';

/** Where Organizations answers in each partition (it has one endpoint per partition). */
const ORGANIZATIONS_REGION: Readonly<Record<string, string>> = {
  aws: 'us-east-1',
  'aws-cn': 'cn-northwest-1',
  'aws-us-gov': 'us-gov-west-1',
};

/** What a fleet command works with: the config (with its fleet section) and the ports. */
export interface FleetScope {
  readonly config: LbGuardConfig;
  readonly fleet: FleetConfig;
  readonly ports: FleetPorts;
}

/**
 * The preamble of `lint --org` and `status --fleet`: the config must have a fleet section and
 * `--service` makes no sense (services are discovered). The caller's own credentials (profile,
 * environment) sign sts:AssumeRole and organizations:ListAccounts; everything else is signed
 * with the assumed role of each account.
 */
export async function withFleet<T>(
  ctx: Pick<CommandContext, 'io' | 'global' | 'options'>,
  flag: '--org' | '--fleet',
  work: (scope: FleetScope) => Promise<T>,
): Promise<T> {
  const { io, global } = ctx;
  if (ctx.options.service !== undefined) {
    throw usageError(
      `--service does not go with ${flag}`,
      `services are discovered by tag; drop --service or ${flag}`,
    );
  }
  const config = await loadConfig(io, global);
  const fleet = config.fleet;
  if (fleet === undefined) {
    throw usageError(
      `${flag} needs a fleet section in the config`,
      'add fleet: { roleName, accounts or organization: true, regions } (docs/fleet.md)',
    );
  }
  if (global.profile !== undefined) io.env.AWS_PROFILE = global.profile;
  const endpoint = resolveEndpoint(global, io);
  if (endpoint !== undefined && !URL.canParse(endpoint)) {
    throw usageError(`--endpoint-url ${endpoint} is not a URL`, 'e.g. --endpoint-url http://127.0.0.1:5000');
  }
  const home = resolveRegion(global, config, io) ?? (fleet.regions[0] as string);
  // A person is waiting: as createAwsContext, fewer retries than a Lambda and a bounded wait.
  const base: AwsClientOptions = {
    maxAttempts: 2,
    requestTimeoutMs: 15_000,
    ...(endpoint === undefined ? {} : { endpoint }),
  };
  const sts = new STSClient(awsClientConfig({ ...base, region: home }));
  const organizations = new OrganizationsClient(
    awsClientConfig({ ...base, region: ORGANIZATIONS_REGION[partitionOf(home)] ?? 'us-east-1' }),
  );
  const tableName = resolveTableName(global, config);
  const stateKey = resolveStateKey(global, io, tableName);
  const ports: FleetPorts = {
    accounts:
      fleet.accounts === undefined
        ? new OrganizationsAccounts(organizations)
        : new ListedAccounts(fleet.accounts),
    roles: new StsRoleAssumer(sts, fleet.roleName, home),
    contextFor: (scope, credentials) =>
      buildAwsContext({ ...base, region: scope.region, credentials }, tableName, stateKey),
    discoveryFor: (aws) => new Elbv2LoadBalancerDiscovery(aws.clients.elbv2),
  };
  try {
    return await work({ config, fleet, ports });
  } finally {
    sts.destroy();
    organizations.destroy();
  }
}
