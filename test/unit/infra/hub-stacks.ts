// The hub configs and stacks the hub tests judge: a hub admitting the organisation, one admitting
// listed accounts, and the fleet reader role stack.
import type { App, Stack } from 'aws-cdk-lib';
import { LbGuardFleetRoleStack, LbGuardHubStack } from '../../../infra/index.ts';
import { type LbGuardConfig, loadConfigOrThrow } from '../../../lib/config/index.ts';
import { ENV } from './stacks.ts';

export const ORG_ID = 'o-a1b2c3d4e5';
export const LISTED_ACCOUNTS = ['111111111111', '222222222222', '333333333333'] as const;

const PROFILES = `
discovery:
  profiles:
    default:
      remediation: { mode: dry-run }
      probes:
        - { name: health, url: "https://shop.example.com/health" }
`;

/** A hub config: the organisation's accounts, or the listed ones. */
export function hubConfig(
  admits: 'organization' | 'accounts',
  hub = '{ coverageMinutes: 7 }',
): LbGuardConfig {
  const who =
    admits === 'organization'
      ? `organization: true\n  hub: { organizationId: ${ORG_ID}, coverageMinutes: 7 }`
      : `accounts: [${LISTED_ACCOUNTS.map((a) => `'${a}'`).join(', ')}]\n  hub: ${hub}`;
  return loadConfigOrThrow(
    `
version: 1
region: eu-west-1
services: []
${PROFILES}
fleet:
  roleName: lbguard-fleet-reader
  regions: [eu-west-1, us-east-1]
  ${who}
`,
    `hub-${admits}.yaml`,
  );
}

/** `LbGuardHubStack` named `stackName` for `config`. */
export function hubStack(stackName: string, config: LbGuardConfig): (app: App) => Stack {
  return (app) => new LbGuardHubStack(app, stackName, { env: ENV, config });
}

/** `LbGuardFleetRoleStack` 'FleetRole' for the role name the configs use. */
export function fleetRoleStack(app: App): Stack {
  return new LbGuardFleetRoleStack(app, 'FleetRole', { roleName: 'lbguard-fleet-reader' });
}
