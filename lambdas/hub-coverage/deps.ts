import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { STSClient } from '@aws-sdk/client-sts';
import { partitionOf } from '../../lib/fleet/index.ts';
import {
  type AwsClientOptions,
  awsClientConfig,
  createDynamoDbClient,
  createElbv2Client,
  createSnsClient,
} from '../adapters/clients.ts';
import { Elbv2LoadBalancerDiscovery } from '../adapters/elbv2/discovery.ts';
import { ListedAccounts, OrganizationsAccounts, organizationsRegion } from '../adapters/fleet-accounts.ts';
import { createFleetMetrics } from '../adapters/fleet-metrics.ts';
import { StsRoleAssumer } from '../adapters/fleet-roles.ts';
import { DynamoDbHubTable } from '../adapters/hub-table.ts';
import { SnsHubTopic } from '../adapters/hub-topic.ts';
import type { FleetScanPorts } from '../flows/fleet-scan.ts';
import type { HubCoverageDeps } from '../flows/hub-coverage.ts';
import type { HubCoverageEnv } from '../runtime/hub-env.ts';
import { logger } from '../runtime/middleware.ts';

export type HubCoverageOverrides = Partial<HubCoverageDeps<ElasticLoadBalancingV2Client>> & {
  /** Endpoint, credentials, region of every client (tests: moto); per-scope clients keep their own. */
  readonly clientOptions?: AwsClientOptions;
};

/**
 * hub-coverage's deps. The function's own role signs sts:AssumeRole, organizations:ListAccounts,
 * the hub table and the topic; each account and region's ELBv2 calls are signed with the role
 * assumed there, in that region.
 */
export function hubCoverageDeps(
  env: HubCoverageEnv,
  overrides: HubCoverageOverrides = {},
): HubCoverageDeps<ElasticLoadBalancingV2Client> {
  const opts = overrides.clientOptions ?? {};
  const { fleet, hub, profiles } = env.config;
  const home = opts.region ?? process.env.AWS_REGION ?? (fleet.regions[0] as string);
  const sts = new STSClient(awsClientConfig({ ...opts, region: home }));
  const organizations = new OrganizationsClient(
    awsClientConfig({ ...opts, region: organizationsRegion(partitionOf(home)) }),
  );
  const scanPorts = (): FleetScanPorts<ElasticLoadBalancingV2Client> => ({
    accounts:
      fleet.accounts === undefined
        ? new OrganizationsAccounts(organizations)
        : new ListedAccounts(fleet.accounts),
    roles: new StsRoleAssumer(sts, fleet.roleName, home, 'lbguard-hub'),
    open: (scope, credentials) => createElbv2Client({ ...opts, region: scope.region, credentials }),
    discoveryFor: (client) => new Elbv2LoadBalancerDiscovery(client),
    close: (client) => client.destroy(),
  });
  return {
    fleet,
    profiles,
    coverageMinutes: overrides.coverageMinutes ?? hub.coverageMinutes,
    scanPorts: overrides.scanPorts ?? scanPorts,
    table: overrides.table ?? new DynamoDbHubTable(createDynamoDbClient(opts), env.hubTableName),
    topic: overrides.topic ?? new SnsHubTopic(createSnsClient(opts), env.topicArn),
    metrics: overrides.metrics ?? createFleetMetrics(),
    logger: overrides.logger ?? logger,
    now: overrides.now ?? (() => new Date()),
  };
}
