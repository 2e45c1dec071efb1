import * as iam from 'aws-cdk-lib/aws-iam';
import type { RemediationConfig } from '../lib/config/index.ts';
import type { AccountRegionScope, LoadBalancerArnParts } from './arns.ts';

/**
 * ELBv2 read actions lbguard needs. AWS offers no resource-level scoping for `Describe*`, so these
 * are granted on `*`; they are named one by one rather than `Describe*` so a new describe action
 * is not granted by accident.
 */
export const ELBV2_READ_ACTIONS: readonly string[] = [
  'elasticloadbalancing:DescribeListeners',
  'elasticloadbalancing:DescribeRules',
  'elasticloadbalancing:DescribeTargetGroups',
  'elasticloadbalancing:DescribeTargetGroupAttributes',
  'elasticloadbalancing:DescribeTargetHealth',
];

/** Where remediate may write: the guarded load balancers' listeners, rules and target groups. */
export interface WriteScope {
  readonly loadBalancer: LoadBalancerArnParts;
  /**
   * Target groups remediate may register targets in. Empty means every target group in the load
   * balancer's account and region, because a target group ARN does not name its load balancer.
   */
  readonly targetGroupArns: readonly string[];
  /** Grant `CreateRule`, which restores a deleted rule; off unless the policy allows it. */
  readonly allowCreateRule: boolean;
}

/**
 * The IAM statements that let remediate apply a plan (DESIGN.md "Plan"): never `Deregister*`,
 * never `Delete*`, and never on `*`. Each action is granted on the narrowest ARN pattern derived
 * from the guarded load balancer's ARN.
 */
export function remediationWriteStatements(scopes: readonly WriteScope[]): iam.PolicyStatement[] {
  if (scopes.length === 0) {
    return [];
  }
  const creators = scopes.filter((s) => s.allowCreateRule);
  return writeStatements({
    listeners: scopes.map((s) => s.loadBalancer.listenerArnPattern),
    rules: scopes.map((s) => s.loadBalancer.listenerRuleArnPattern),
    targetGroups: scopes.flatMap((s) =>
      s.targetGroupArns.length > 0 ? [...s.targetGroupArns] : [s.loadBalancer.targetGroupArnPattern],
    ),
    createRuleOn: [
      ...creators.map((s) => s.loadBalancer.listenerArnPattern),
      ...creators.map((s) => s.loadBalancer.listenerRuleArnPattern),
    ],
  });
}

/**
 * Remediate's writes in discovery mode: the same actions as `remediationWriteStatements`, on every
 * ALB listener, rule and target group of the account and region, since a load balancer tagged
 * `lbguard:guard` after the deployment (and its `lbguard:remediation` tag, which may say `auto`)
 * is not known at synth. Still never `Deregister*` or `Delete*`; remediate re-reads the load
 * balancer's tags under its lock before writing to a tag-enrolled one.
 */
export function discoveryWriteStatements(
  scope: AccountRegionScope,
  allowCreateRule: boolean,
): iam.PolicyStatement[] {
  const listeners = `${scope.listenerArnPrefix}*`;
  const rules = `${scope.listenerRuleArnPrefix}*`;
  return writeStatements({
    listeners: [listeners],
    rules: [rules],
    targetGroups: [`${scope.targetGroupArnPrefix}*`],
    createRuleOn: allowCreateRule ? [listeners, rules] : [],
  });
}

interface WriteResources {
  readonly listeners: readonly string[];
  readonly rules: readonly string[];
  readonly targetGroups: readonly string[];
  /** Empty: CreateRule is not granted. */
  readonly createRuleOn: readonly string[];
}

function writeStatements(on: WriteResources): iam.PolicyStatement[] {
  const { listeners, rules, targetGroups } = on;
  const statements = [
    new iam.PolicyStatement({
      sid: 'RestoreListenerDefaultActions',
      actions: ['elasticloadbalancing:ModifyListener'],
      resources: [...listeners],
    }),
    new iam.PolicyStatement({
      sid: 'RestoreListenerRules',
      actions: ['elasticloadbalancing:ModifyRule', 'elasticloadbalancing:SetRulePriorities'],
      resources: [...rules],
    }),
    new iam.PolicyStatement({
      sid: 'ReRegisterTargets',
      actions: ['elasticloadbalancing:RegisterTargets'],
      resources: unique(targetGroups),
    }),
  ];
  if (on.createRuleOn.length > 0) {
    // CreateRule is authorised against the listener it adds to and the rule it creates.
    statements.push(
      new iam.PolicyStatement({
        sid: 'RecreateDeletedRules',
        actions: ['elasticloadbalancing:CreateRule'],
        resources: [...on.createRuleOn],
      }),
    );
  }
  return statements;
}

/** Where remediate looks for an owner in flight (lambdas/adapters/deployment-owners.ts). */
export interface OwnerScope {
  readonly loadBalancer: Pick<LoadBalancerArnParts, 'partition' | 'region' | 'account'>;
  /** The applications the config names; undefined means every application is listed and read. */
  readonly codeDeployApplications: readonly string[] | undefined;
}

/**
 * The reads remediate makes before a write to find a deployment in flight, in the guarded load
 * balancers' accounts and regions (a stack or deployment that owns a load balancer's listener
 * lives beside it). Stacks are not known in advance, so any stack there; CodeDeploy is scoped to
 * the applications the config names, and `ListApplications`, which has no resource-level
 * permission, is granted only when some service names none.
 */
export function ownerReadStatements(scopes: readonly OwnerScope[]): iam.PolicyStatement[] {
  if (scopes.length === 0) return [];
  const arn = (s: OwnerScope, service: string, resource: string) =>
    `arn:${s.loadBalancer.partition}:${service}:${s.loadBalancer.region}:${s.loadBalancer.account}:${resource}`;
  const apps = (s: OwnerScope) => s.codeDeployApplications ?? ['*'];
  const statements = [
    new iam.PolicyStatement({
      sid: 'FindStackInFlight',
      actions: ['cloudformation:DescribeStackResources', 'cloudformation:DescribeStacks'],
      resources: unique(scopes.map((s) => arn(s, 'cloudformation', 'stack/*'))),
    }),
    new iam.PolicyStatement({
      sid: 'FindDeploymentGroups',
      actions: ['codedeploy:ListDeploymentGroups'],
      resources: unique(scopes.flatMap((s) => apps(s).map((a) => arn(s, 'codedeploy', `application:${a}`)))),
    }),
    new iam.PolicyStatement({
      sid: 'FindDeploymentInFlight',
      actions: ['codedeploy:GetDeploymentGroup', 'codedeploy:ListDeployments'],
      resources: unique(
        scopes.flatMap((s) => apps(s).map((a) => arn(s, 'codedeploy', `deploymentgroup:${a}/*`))),
      ),
    }),
  ];
  if (scopes.some((s) => s.codeDeployApplications === undefined)) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'ListDeploymentApplications',
        actions: ['codedeploy:ListApplications'],
        resources: ['*'],
      }),
    );
  }
  return statements;
}

/** Read access to the routing configuration and target health of any load balancer. */
export function elbv2ReadStatement(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'ReadLoadBalancerConfiguration',
    actions: [...ELBV2_READ_ACTIONS],
    resources: ['*'],
  });
}

/**
 * The reads of discovery mode: the enrol function lists the account and region's load balancers
 * and their tags; remediate re-reads a tag-enrolled load balancer's tags under its lock. Neither
 * action supports resource-level permissions.
 */
export function discoveryReadStatement(actions: readonly DiscoveryReadAction[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'ReadLoadBalancersAndTags',
    actions: [...actions],
    resources: ['*'],
  });
}

export type DiscoveryReadAction =
  | 'elasticloadbalancing:DescribeLoadBalancers'
  | 'elasticloadbalancing:DescribeTags';

/**
 * Whether remediate calls the ELBv2 writer for a service in this mode: `auto` applies plans,
 * `approve` applies trusted steps and approved plans;
 * `dry-run` only notifies the plan and `off` does nothing, both returning before any write
 * (lambdas/flows/remediate.ts). The mode is deployed with the config, so switching a service to
 * `auto` is a deployment, and that deployment grants the writes.
 */
export function modeWritesLoadBalancer(mode: RemediationConfig['mode']): boolean {
  switch (mode) {
    case 'approve':
    case 'auto':
      return true;
    case 'dry-run':
    case 'off':
      return false;
  }
}

/**
 * The DynamoDB item actions each function's state-store calls make
 * (lambdas/adapters/state-store/dynamodb-state-store.ts): no scans, no table administration, and
 * no action a function never calls. A transaction is authorised as its parts (its Puts here).
 * Writes are further held to the function's own partitions with `dynamodb:LeadingKeys`
 * (infra/grants.ts, lambdas/adapters/state-store/layout.ts).
 */
/** The table actions that only read; every other granted action writes. */
export const TABLE_READ_ACTIONS: readonly string[] = ['dynamodb:GetItem', 'dynamodb:Query'];

export const TABLE_ACTIONS = {
  /** Evidence only: probe results (BatchWriteItem) and served-by samples (PutItem); never reads. */
  probe: ['dynamodb:PutItem', 'dynamodb:BatchWriteItem'],
  /**
   * Reads evidence, snapshots, last good, soak, hysteresis and incidents (GetItem, Query); writes
   * snapshots, promotions, soak, config changes, hysteresis and incidents (PutItem, also inside
   * transactions); clears the soak marker and the open-incident pointer (DeleteItem).
   */
  inspect: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
  /**
   * Reads the incident and last good (GetItem) and the service's incident history (Query); takes
   * and releases the lock and records incidents (PutItem, DeleteItem); Powertools Idempotency's
   * apply-once record adds UpdateItem.
   */
  remediate: [
    'dynamodb:GetItem',
    'dynamodb:Query',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
  ],
} as const satisfies Record<'probe' | 'inspect' | 'remediate', readonly string[]>;

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
