import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { lbguardFunctionCode } from '../bundling.ts';
import {
  createFunction,
  estimateEnvironmentBytes,
  type FunctionLogging,
  LAMBDA_ENV_LIMIT_BYTES,
} from '../functions.ts';
import { nagText } from '../grants.ts';
import { fleetConfigJson, HubConfigError, type HubSettings } from './hub-config.ts';
import { HUB_NAMESPACE } from './metrics.ts';

/** The hub table's partitions each function writes (contract "Hub table layout"). */
export const INGEST_PARTITIONS = ['LB#*', 'SPOKE', 'SERVICE#*'] as const;
export const COVERAGE_PARTITIONS = ['COVERAGE'] as const;

/** The hub's two functions. */
export interface HubFunctions {
  readonly ingest: lambda.Function;
  readonly coverage: lambda.Function;
}

export interface HubFunctionsOptions extends FunctionLogging {
  readonly settings: HubSettings;
  readonly table: dynamodb.Table;
  readonly topic: sns.ITopic;
  readonly topicKey: kms.IKey;
  readonly deadLetterQueue: sqs.IQueue;
  /** Name of hub-coverage's role: the fleet reader role in every account trusts it by name. */
  readonly coverageRoleName: string;
  readonly lambdasDir: string | undefined;
}

/**
 * hub-ingest (the bus rule's target: validate, then write the hub table) and hub-coverage (every
 * minute: list every account and region's tagged load balancers through the fleet reader role,
 * compare with the heartbeats, emit `Uncovered`). Each has its own role and log group
 * (`createFunction`) and exactly the grants below.
 */
export function createHubFunctions(scope: Construct, options: HubFunctionsOptions): HubFunctions {
  const { settings, table } = options;
  const logging = { logRetention: options.logRetention, removalPolicy: options.removalPolicy };
  const shared = { POWERTOOLS_METRICS_NAMESPACE: HUB_NAMESPACE, NODE_OPTIONS: '--enable-source-maps' };

  const ingest = createFunction(scope, 'HubIngest', {
    ...logging,
    code: lbguardFunctionCode('hub-ingest', options.lambdasDir),
    description: 'lbguard hub-ingest: validates spoke events and writes the hub table',
    memorySize: 256,
    timeout: Duration.seconds(30),
    // A write that failed is retried; an event older than an hour is superseded by newer heartbeats.
    async: { deadLetterQueue: options.deadLetterQueue, retryAttempts: 2, maxEventAge: Duration.hours(1) },
    environment: {
      ...shared,
      POWERTOOLS_SERVICE_NAME: 'lbguard-hub-ingest',
      LBGUARD_HUB_TABLE: table.tableName,
    },
    configJsonBytes: 0,
  });
  // PutItem (each heartbeat item of a transaction) and UpdateItem (a service's finding or
  // transition, each its own attribute).
  grantWrites(ingest, table, 'WriteSpokeReports', INGEST_PARTITIONS, [
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
  ]);

  const fleetJson = fleetConfigJson(settings);
  const coverageEnvironment = {
    ...shared,
    POWERTOOLS_SERVICE_NAME: 'lbguard-hub-coverage',
    LBGUARD_HUB_TABLE: table.tableName,
    LBGUARD_HUB_TOPIC_ARN: options.topic.topicArn,
    LBGUARD_FLEET_CONFIG: fleetJson,
  };
  const bytes = estimateEnvironmentBytes(coverageEnvironment);
  if (bytes > LAMBDA_ENV_LIMIT_BYTES) {
    throw new HubConfigError(
      `lbguard hub: hub-coverage's environment would be about ${bytes} bytes, over Lambda's ${LAMBDA_ENV_LIMIT_BYTES}-byte limit; most of it is LBGUARD_FLEET_CONFIG (fleet and discovery.profiles, ${Buffer.byteLength(fleetJson)} bytes): list fewer accounts (organization: true instead) or shorten the profiles`,
    );
  }
  const coverage = createFunction(scope, 'HubCoverage', {
    ...logging,
    code: lbguardFunctionCode('hub-coverage', options.lambdasDir),
    description:
      'lbguard hub-coverage: every tagged load balancer of the fleet against the guards heartbeats',
    memorySize: 256,
    // A run reads every account and region (fleet.concurrency at a time); a slow one must end
    // before it overlaps two more, and one at a time keeps the uncovered set's messages single.
    timeout: Duration.seconds(120),
    reservedConcurrentExecutions: 1,
    // A failed run is superseded by next minute's (the alarm on CoverageChecks sees a silence).
    async: { deadLetterQueue: options.deadLetterQueue, retryAttempts: 0, maxEventAge: Duration.minutes(1) },
    environment: coverageEnvironment,
    configJsonBytes: 0,
  });
  renameRole(coverage, options.coverageRoleName);
  const role = coverage.role as iam.Role;
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ReadHeartbeatsAndCoverage',
      actions: ['dynamodb:GetItem', 'dynamodb:Query'],
      resources: [table.tableArn],
    }),
  );
  // PutItem alone: the coverage result replaces the last one whole (DynamoDbHubTable.replaceCoverage);
  // the IAM proof runs the hub's scenarios under this role (docs/iam-proof.md, part 3).
  grantWrites(coverage, table, 'WriteCoverage', COVERAGE_PARTITIONS, ['dynamodb:PutItem']);
  options.topic.grantPublish(coverage);
  grantFleetReads(coverage, settings);
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
    reason:
      'Publishing to the KMS-encrypted hub topic needs kms:GenerateDataKey* (granted by topic.grantPublish) on the topic key alone; the resource is that key ARN.',
  });
  return { ingest, coverage };
}

/**
 * The item writes a function makes (its conditional "newer than stored" writes) on the partitions
 * it owns alone (`dynamodb:LeadingKeys`): ingest cannot forge the coverage result, nor coverage a
 * heartbeat.
 */
function grantWrites(
  fn: lambda.Function,
  table: dynamodb.Table,
  sid: string,
  partitions: readonly string[],
  actions: readonly string[],
): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid,
      actions: [...actions],
      resources: [table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...partitions] } },
    }),
  );
}

/**
 * sts:AssumeRole on the fleet reader role of each listed account, or of any account of the
 * organisation (`aws:ResourceOrgID`), and organizations:ListAccounts with `organization: true`.
 */
function grantFleetReads(coverage: lambda.Function, settings: HubSettings): void {
  const stack = Stack.of(coverage);
  const role = coverage.role as iam.Role;
  const { fleet } = settings;
  const roleArn = (account: string) => `arn:${stack.partition}:iam::${account}:role/${fleet.roleName}`;
  const organizationId = settings.hub.organizationId;
  const everyAccount = fleet.organization === true;
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'AssumeFleetReaderRole',
      actions: ['sts:AssumeRole'],
      resources: everyAccount ? [roleArn('*')] : (fleet.accounts ?? []).map(roleArn),
      ...(everyAccount && organizationId !== undefined
        ? { conditions: { StringEquals: { 'aws:ResourceOrgID': organizationId } } }
        : {}),
    }),
  );
  if (!everyAccount) return;
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ListOrganizationAccounts',
      actions: ['organizations:ListAccounts'],
      resources: ['*'],
    }),
  );
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${nagText(stack, roleArn('*'))}]`,
    reason:
      "With organization: true the accounts are the organisation's, listed at run time; the role is the fleet reader role alone, in the organisation's accounts alone (aws:ResourceOrgID).",
  });
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'organizations:ListAccounts supports no resource-level permission; it is read-only.',
  });
}

/** hub-coverage's role has a fixed name: every account's fleet reader role trusts it by ARN. */
function renameRole(fn: lambda.Function, roleName: string): void {
  const cfn = fn.role?.node.defaultChild as iam.CfnRole | undefined;
  if (cfn === undefined) throw new Error('lbguard hub: hub-coverage has no role of its own');
  cfn.roleName = roleName;
}
