import {
  Aws,
  BootstraplessSynthesizer,
  CfnCondition,
  CfnOutput,
  CfnParameter,
  Fn,
  type IStackSynthesizer,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { HUB_COVERAGE_ROLE_NAME } from './hub-construct.ts';

/** What hub-coverage and `lbguard lint --org` need first: the load balancers and their tags. */
export const FLEET_DISCOVERY_ACTIONS = [
  'elasticloadbalancing:DescribeLoadBalancers',
  'elasticloadbalancing:DescribeTags',
] as const;

/**
 * What an operator's `lbguard status --fleet` and `lint --org` read besides (docs/fleet.md
 * "Roles and permissions"): the routing, the load balancer metrics, the spoke's state table and
 * its MAC key, and the zonal-shift state. Only with operator principals: the hub never reads them.
 */
export const FLEET_STATUS_ELB_ACTIONS = [
  'elasticloadbalancing:DescribeListeners',
  'elasticloadbalancing:DescribeRules',
  'elasticloadbalancing:DescribeTargetGroups',
  'elasticloadbalancing:DescribeTargetHealth',
  'elasticloadbalancing:DescribeTargetGroupAttributes',
  'cloudwatch:GetMetricData',
  'arc-zonal-shift:GetManagedResource',
] as const;

/** The spoke's state table name the CLI looks for when the config names none. */
export const DEFAULT_STATE_TABLE = 'lbguard-state';

/** Props of the fleet reader role stack. */
export interface LbGuardFleetRoleStackProps extends StackProps {
  /** `fleet.roleName`: the same name in every account. */
  readonly roleName: string;
  /**
   * The spoke's state table (`tableName` in the config), default of the `StateTableName` parameter.
   * @default DEFAULT_STATE_TABLE
   */
  readonly stateTableName?: string;
}

/**
 * The fleet reader role, one per account (deploy it as a StackSet to every account, in one
 * region: IAM is global). Trusted by the hub's coverage role (`HubAccountId`, `HubRoleName`) and,
 * optionally, by operator principals (`OperatorPrincipalArns`); allowed to read, never to write.
 * Plain CloudFormation parameters and no assets, so the template deploys as it is.
 */
export class LbGuardFleetRoleStack extends Stack {
  constructor(scope: Construct, id: string, props: LbGuardFleetRoleStackProps) {
    // No assets and no bootstrap version check: a StackSet deploys the template as it is, in
    // accounts nobody bootstrapped. (aws-cdk-lib's own types disagree under exactOptionalPropertyTypes.)
    super(scope, id, { synthesizer: new BootstraplessSynthesizer() as IStackSynthesizer, ...props });
    const hubAccount = new CfnParameter(this, 'HubAccountId', {
      type: 'String',
      allowedPattern: '^\\d{12}$',
      description: 'The account of the lbguard hub, whose coverage role assumes this role',
    });
    const hubRoleName = new CfnParameter(this, 'HubRoleName', {
      type: 'String',
      default: HUB_COVERAGE_ROLE_NAME,
      allowedPattern: '^[\\w+=,.@-]{1,64}$',
      description: "The hub's coverage role (LbGuardHub coverageRoleName)",
    });
    const operators = new CfnParameter(this, 'OperatorPrincipalArns', {
      type: 'CommaDelimitedList',
      default: '',
      description:
        'IAM roles or users that run lbguard status --fleet / lint --org (they must exist); empty: the hub alone',
    });
    const stateTable = new CfnParameter(this, 'StateTableName', {
      type: 'String',
      default: props.stateTableName ?? DEFAULT_STATE_TABLE,
      description: "The spoke's state table, which status --fleet reads (operators only)",
    });
    const hasOperators = new CfnCondition(this, 'HasOperators', {
      expression: Fn.conditionNot(Fn.conditionEquals(Fn.join('', operators.valueAsList), '')),
    });
    const partition = this.partition;
    const ifOperators = (value: unknown) => Fn.conditionIf(hasOperators.logicalId, value, Aws.NO_VALUE);

    const role = new iam.CfnRole(this, 'FleetReaderRole', {
      roleName: props.roleName,
      description: 'lbguard fleet reader: the hub coverage check and lbguard status --fleet / lint --org',
      maxSessionDuration: 3600,
      assumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'HubCoverage',
            Effect: 'Allow',
            Principal: { AWS: `arn:${partition}:iam::${hubAccount.valueAsString}:root` },
            Action: 'sts:AssumeRole',
            Condition: {
              ArnEquals: {
                'aws:PrincipalArn': `arn:${partition}:iam::${hubAccount.valueAsString}:role/${hubRoleName.valueAsString}`,
              },
            },
          },
          ifOperators({
            Sid: 'Operators',
            Effect: 'Allow',
            Principal: { AWS: operators.valueAsList },
            Action: 'sts:AssumeRole',
          }),
        ],
      },
      policies: [
        {
          policyName: 'lbguard-fleet-read',
          policyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'DiscoverLoadBalancers',
                Effect: 'Allow',
                Action: [...FLEET_DISCOVERY_ACTIONS],
                Resource: '*',
              },
              ifOperators({
                Sid: 'StatusReads',
                Effect: 'Allow',
                Action: [...FLEET_STATUS_ELB_ACTIONS],
                Resource: '*',
              }),
              ifOperators({
                Sid: 'ReadStateTable',
                Effect: 'Allow',
                Action: ['dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:Query'],
                Resource: `arn:${partition}:dynamodb:*:${this.account}:table/${stateTable.valueAsString}`,
              }),
              ifOperators({
                Sid: 'VerifyStateMacs',
                Effect: 'Allow',
                Action: 'kms:VerifyMac',
                Resource: `arn:${partition}:kms:*:${this.account}:key/*`,
                Condition: {
                  StringEquals: { 'kms:RequestAlias': `alias/lbguard/${stateTable.valueAsString}` },
                },
              }),
            ],
          },
        },
      ],
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ELBv2 Describe*, cloudwatch:GetMetricData and arc-zonal-shift:GetManagedResource support no resource-level permission; each is read-only and named one by one (the operator statements only with OperatorPrincipalArns).',
    });
    new CfnOutput(this, 'FleetReaderRoleArn', { value: role.attrArn });
  }
}
