import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { WRITES_LEADING_KEYS } from '../lambdas/adapters/state-store/layout.ts';
import type { SecretReference } from '../lib/config/index.ts';
import { type AccountRegionScope, accountRegionScope } from './arns.ts';
import type { LbGuardFunctions } from './functions.ts';
import {
  discoveryReadStatement,
  discoveryWriteStatements,
  elbv2ReadStatement,
  modeWritesLoadBalancer,
  ownerReadStatements,
  remediationWriteStatements,
  TABLE_ACTIONS,
  TABLE_READ_ACTIONS,
} from './permissions.ts';
import type { DiscoveryGrants, ResolvedService } from './services.ts';
import type { LbGuardState } from './state.ts';

export interface FunctionPermissionsOptions {
  readonly state: LbGuardState;
  /** The secrets the config's probes name: probe may read exactly these. */
  readonly probeSecrets: readonly SecretReference[];
  readonly functions: LbGuardFunctions;
  readonly services: readonly ResolvedService[];
  /**
   * Discovery mode: the load balancers are not all known at synth, so the ELBv2 grants cover the
   * stack's account and region (`discoveryGrantsFor`).
   * @default - not in discovery mode: every grant is scoped to the listed services
   */
  readonly discovery?: DiscoveryGrants;
}

/**
 * Least privilege for the three functions: on the table, the item actions each one's calls make;
 * the notification topic for inspect and remediate (probe never notifies); ELBv2 reads for
 * inspect and remediate, metrics and change history for inspect, the hand-off topic from inspect
 * to remediate (inspect alone may publish to it, by its policy too), and remediate's writes
 * scoped to the load balancers of services whose mode writes. Each wildcard cdk-nag would report
 * is acknowledged with its reason.
 */
export function grantFunctionPermissions(options: FunctionPermissionsOptions): void {
  const { state, services } = options;
  const { probe, inspect, remediate } = options.functions;
  for (const [fn, name] of [
    [probe, 'probe'],
    [inspect, 'inspect'],
    [remediate, 'remediate'],
  ] as const) {
    const actions: readonly string[] = TABLE_ACTIONS[name];
    const reads = actions.filter((a) => TABLE_READ_ACTIONS.includes(a));
    const writes = actions.filter((a) => !TABLE_READ_ACTIONS.includes(a));
    if (reads.length > 0) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'StateTableReads',
          actions: reads,
          resources: [state.table.tableArn],
        }),
      );
    }
    // Each function writes only its own partitions (state-store/layout.ts): probe, which parses
    // responses from the internet, can never write what a plan is built from.
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'StateTableOwnItems',
        actions: writes,
        resources: [state.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...WRITES_LEADING_KEYS[name]] } },
      }),
    );
  }
  for (const statement of probeSecretStatements(Stack.of(probe), options.probeSecrets)) {
    probe.addToRolePolicy(statement);
  }
  // Inspect vouches for what it records; remediate checks what it restores; probe never sees either.
  state.stateKey.grant(inspect, 'kms:GenerateMac', 'kms:VerifyMac');
  state.stateKey.grant(remediate, 'kms:VerifyMac');
  for (const fn of [inspect, remediate]) {
    state.topic.grantPublish(fn);
    fn.addToRolePolicy(elbv2ReadStatement());
  }
  inspect.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'ReadMetrics',
      // GetMetricData supports no resource-level permissions. Changes arrive as EventBridge events
      // (CloudTrail's), so no CloudTrail API is granted.
      actions: ['cloudwatch:GetMetricData'],
      resources: ['*'],
    }),
  );
  // Zonal shifts in effect (lambdas/adapters/zonal-shifts.ts), read on the guarded load balancers
  // alone, by inspect for its plan and by remediate for its re-plan under the lock: neither sends
  // traffic back to a shifted zone.
  const wide = options.discovery === undefined ? undefined : stackScope(Stack.of(inspect));
  const guarded =
    wide === undefined
      ? [...new Set(services.map((s) => s.loadBalancer.arn))]
      : [`${wide.loadBalancerArnPrefix}*`];
  if (guarded.length > 0) {
    for (const fn of [inspect, remediate]) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'ReadZonalShifts',
          actions: ['arc-zonal-shift:GetManagedResource'],
          resources: guarded,
        }),
      );
    }
  }
  state.remediationTopic.grantPublish(inspect);
  state.remediationTopic.addToResourcePolicy(onlyPublisher(state.remediationTopic, roleOf(inspect)));
  // A request SNS cannot deliver after its retries lands in the dead-letter queue, whose alarm
  // pages: a handoff is never lost silently.
  state.remediationTopic.addSubscription(
    new subscriptions.LambdaSubscription(remediate, { deadLetterQueue: state.deadLetterQueue }),
  );
  if (options.discovery !== undefined && wide !== undefined) {
    grantDiscovery(options, wide, options.discovery);
    return;
  }
  const writers = services.filter((s) => modeWritesLoadBalancer(s.remediationMode));
  for (const statement of remediationWriteStatements(
    writers.map((s) => ({
      loadBalancer: s.loadBalancer,
      targetGroupArns: s.targetGroupArns,
      allowCreateRule: s.allowCreateRule,
    })),
  )) {
    remediate.addToRolePolicy(statement);
  }
  // Only a service that writes reaches the owner lookup (lambdas/flows/remediate.ts).
  for (const statement of ownerReadStatements(
    writers.map((s) => ({ loadBalancer: s.loadBalancer, codeDeployApplications: s.codeDeployApplications })),
  )) {
    remediate.addToRolePolicy(statement);
  }
  acknowledgeScopedWildcards(options.functions, writers);
}

/** The stack's own account and region (literals with an `env`, pseudo parameters without). */
function stackScope(stack: Stack): AccountRegionScope {
  return accountRegionScope(stack.partition, stack.region, stack.account);
}

/**
 * Discovery mode. A tag can enrol any ALB of the account and region, and its `lbguard:remediation`
 * tag can set any mode, so remediate's writes and owner reads cover the account and region (each
 * wildcard acknowledged with its reason); the listed services' load balancers are inside that
 * scope. Probe reads the signed registry (GetItem, VerifyMac); enrol lists, tags, signs and writes it.
 */
function grantDiscovery(
  options: FunctionPermissionsOptions,
  wide: AccountRegionScope,
  grants: DiscoveryGrants,
): void {
  const { state } = options;
  const { probe, inspect, remediate, enrol } = options.functions;
  const stack = Stack.of(remediate);
  probe.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'ReadEnrolmentRegistry',
      actions: ['dynamodb:GetItem'],
      resources: [state.table.tableArn],
    }),
  );
  state.stateKey.grant(probe, 'kms:VerifyMac');
  remediate.addToRolePolicy(discoveryReadStatement(['elasticloadbalancing:DescribeTags']));
  const writes = discoveryWriteStatements(wide, grants.allowCreateRule);
  const owners = ownerReadStatements([
    { loadBalancer: wide, codeDeployApplications: grants.codeDeployApplications },
  ]);
  for (const statement of [...writes, ...owners]) {
    remediate.addToRolePolicy(statement);
  }
  const writeReason =
    'Discovery mode: any ALB of this account and region may be tagged lbguard:guard after the deployment, so remediate may restore the listeners, rules and target registrations of every ALB here (never Deregister*, never Delete*); it re-reads the load balancer tags under its lock before writing to a tag-enrolled one.';
  const ownerReason =
    'Discovery mode: before any write, remediate reads who owns the routing (a stack, or a CodeDeploy deployment group) of a load balancer enrolled by tag, unknown at synth; read-only, within this account and region.';
  for (const [statements, reason] of [
    [writes, writeReason],
    [owners, ownerReason],
  ] as const) {
    for (const resource of new Set(statements.flatMap((st) => st.resources))) {
      if (!resource.includes('*') || resource === '*') continue;
      Validations.of(remediate.role ?? remediate).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagText(stack, resource)}]`,
        reason,
      });
    }
  }
  for (const fn of [inspect, remediate]) {
    Validations.of(fn.role ?? fn).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagText(stack, `${wide.loadBalancerArnPrefix}*`)}]`,
      reason:
        'Discovery mode: zonal shifts are read on any ALB of this account and region, since the load balancers enrolled by tag are not known at synth; read-only.',
    });
  }
  if (enrol !== undefined) {
    grantEnrol(options, enrol);
  }
  acknowledgeScopedWildcards(options.functions, []);
}

/**
 * Enrol lists the account and region's load balancers and their tags, reads and writes the
 * enrolment registry (signing it with the state key, verifying what it reads back) and tells
 * people what it enrolled or released.
 */
function grantEnrol(options: FunctionPermissionsOptions, enrol: lambda.Function): void {
  const { state } = options;
  enrol.addToRolePolicy(
    discoveryReadStatement([
      'elasticloadbalancing:DescribeLoadBalancers',
      'elasticloadbalancing:DescribeTags',
    ]),
  );
  enrol.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'StateTableReads',
      actions: ['dynamodb:GetItem'],
      resources: [state.table.tableArn],
    }),
  );
  // The registry's partition is enrol's alone once the state-store layout names it
  // (WRITES_LEADING_KEYS.enrol); until then the write is held to the table only.
  const leadingKeys = (WRITES_LEADING_KEYS as Readonly<Record<string, readonly string[] | undefined>>).enrol;
  enrol.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'StateTableOwnItems',
      actions: ['dynamodb:PutItem'],
      resources: [state.table.tableArn],
      ...(leadingKeys === undefined
        ? {}
        : { conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...leadingKeys] } } }),
    }),
  );
  state.stateKey.grant(enrol, 'kms:GenerateMac', 'kms:VerifyMac');
  state.topic.grantPublish(enrol);
  Validations.of(enrol.role ?? enrol).acknowledge({
    id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
    reason:
      'Publishing to the KMS-encrypted topic needs kms:GenerateDataKey* (granted by topic.grantPublish) on the topic key alone; the resource is that key ARN, not a wildcard.',
  });
  Validations.of(enrol.role ?? enrol).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'elasticloadbalancing:DescribeLoadBalancers and DescribeTags support no resource-level permissions; enrol must list every load balancer of the account and region to find those tagged lbguard:guard; read-only.',
  });
}

/**
 * A remediation request makes remediate change the load balancer, so only `publisher` may send
 * one: any other principal of the account, an administrator's included, is refused by the topic
 * itself whatever its identity policy allows. SNS delivering to the Lambda subscription is not a
 * Publish, so it is unaffected; a Deny on Publish also leaves the policy itself editable.
 */
function onlyPublisher(topic: sns.ITopic, publisher: iam.IRole): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'OnlyInspectMayPublish',
    effect: iam.Effect.DENY,
    principals: [new iam.StarPrincipal()],
    actions: ['sns:Publish'],
    resources: [topic.topicArn],
    conditions: { StringNotEquals: { 'aws:PrincipalArn': publisher.roleArn } },
  });
}

function roleOf(fn: lambda.IFunction): iam.IRole {
  if (fn.role === undefined) throw new Error(`lbguard: function ${fn.node.path} has no role`);
  return fn.role;
}

/**
 * The only wildcards in the remediate policy are the ARN patterns derived from the load balancers
 * it may write to (`writers`); cdk-nag reports each one, and each is acknowledged here by its
 * exact text.
 */
function acknowledgeScopedWildcards(functions: LbGuardFunctions, writers: readonly ResolvedService[]): void {
  const { inspect, remediate } = functions;
  const stack = Stack.of(remediate);
  const patterns = new Set<string>();
  for (const s of writers) {
    patterns.add(s.loadBalancer.listenerArnPattern);
    patterns.add(s.loadBalancer.listenerRuleArnPattern);
    if (s.targetGroupArns.length === 0) {
      patterns.add(s.loadBalancer.targetGroupArnPattern);
    }
  }
  for (const statement of ownerReadStatements(
    writers.map((s) => ({ loadBalancer: s.loadBalancer, codeDeployApplications: s.codeDeployApplications })),
  )) {
    for (const resource of statement.resources.filter((r) => r.includes('*') && r !== '*')) {
      Validations.of(remediate.role ?? remediate).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagText(stack, resource)}]`,
        reason:
          "Before any write, remediate reads who owns the routing: a stack (by a resource's physical id, so its name is not known in advance) or a CodeDeploy deployment group, all within the guarded load balancer's account and region; read-only.",
      });
    }
  }
  for (const pattern of patterns) {
    Validations.of(remediate.role ?? remediate).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagText(stack, pattern)}]`,
      reason:
        'Remediation writes are scoped to the listeners, listener rules or target groups of the guarded load balancer; the trailing wildcard stands for their generated IDs, which change when a deployment recreates them.',
    });
  }
  for (const fn of [inspect, remediate]) {
    Validations.of(fn.role ?? fn).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        'Publishing to the KMS-encrypted topics needs kms:GenerateDataKey* (granted by topic.grantPublish) on the topic key alone; the resource is that key ARN, not a wildcard.',
    });
    Validations.of(fn.role ?? fn).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ELBv2 Describe* actions (and, for inspect, cloudwatch:GetMetricData; for remediate, codedeploy:ListApplications) support no resource-level permissions; they are read-only, named one by one, and each is called by the function (docs/iam-proof.md).',
    });
  }
}

/**
 * How cdk-nag writes a (possibly tokenised) resource in a finding ID: its `flattenCfnReference`
 * turns `Fn::Join` into the joined text, `Ref` into `<Id>`, `Fn::GetAtt` into `<Id.Attr>` and
 * anything else into JSON. Reproduced here so the construct does not depend on cdk-nag.
 */
export function nagText(stack: Stack, value: string): string {
  return flattenReference(stack.resolve(value));
}

function flattenReference(node: unknown): string {
  if (typeof node === 'string') {
    return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  }
  if (node !== null && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    const join = record['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return (join[1] as unknown[]).map(flattenReference).join(join[0]);
    }
    const getAtt = record['Fn::GetAtt'];
    if (Array.isArray(getAtt)) {
      return `<${flattenReference(getAtt[0])}.${flattenReference(getAtt[1])}>`;
    }
    if (record.Ref !== undefined) {
      return `<${flattenReference(record.Ref)}>`;
    }
  }
  return JSON.stringify(node);
}

/**
 * Probe reads the secrets its probes send, and nothing else: `GetSecretValue` on each secret the
 * config names (a name matches its ARN's random suffix, `-??????`), `GetParameter` on each SSM
 * parameter. Secrets and SecureStrings under AWS managed keys need no KMS grant (their key
 * policies allow use through the service); a customer managed key must allow probe's role.
 */
export function probeSecretStatements(stack: Stack, refs: readonly SecretReference[]): iam.PolicyStatement[] {
  const secrets = [
    ...new Set(
      refs.flatMap((r) =>
        'secret' in r
          ? [
              r.secret.startsWith('arn:')
                ? r.secret
                : stack.formatArn({
                    service: 'secretsmanager',
                    resource: 'secret',
                    resourceName: `${r.secret}-??????`,
                    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
                  }),
            ]
          : [],
      ),
    ),
  ];
  const parameters = [
    ...new Set(
      refs.flatMap((r) =>
        'parameter' in r
          ? [
              stack.formatArn({
                service: 'ssm',
                resource: 'parameter',
                resourceName: r.parameter.replace(/^\//, ''),
              }),
            ]
          : [],
      ),
    ),
  ];
  return [
    ...(secrets.length === 0
      ? []
      : [
          new iam.PolicyStatement({
            sid: 'ReadProbeSecrets',
            actions: ['secretsmanager:GetSecretValue'],
            resources: secrets,
          }),
        ]),
    ...(parameters.length === 0
      ? []
      : [
          new iam.PolicyStatement({
            sid: 'ReadProbeParameters',
            actions: ['ssm:GetParameter'],
            resources: parameters,
          }),
        ]),
  ];
}
