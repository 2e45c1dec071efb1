import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { LbGuardFunctions } from './functions.ts';
import { elbv2ReadStatement, remediationWriteStatements, TABLE_ITEM_ACTIONS } from './permissions.ts';
import type { ResolvedService } from './services.ts';
import type { LbGuardState } from './state.ts';

export interface FunctionPermissionsOptions {
  readonly state: LbGuardState;
  readonly functions: LbGuardFunctions;
  readonly services: readonly ResolvedService[];
}

/**
 * Least privilege for the three functions: the table's items and the notification topic for all,
 * ELBv2 reads for inspect and remediate, metrics and change history for inspect, the hand-off
 * topic from inspect to remediate, and remediate's writes scoped to the guarded load balancers.
 * Each wildcard cdk-nag would report is acknowledged with its reason.
 */
export function grantFunctionPermissions(options: FunctionPermissionsOptions): void {
  const { state, services } = options;
  const { probe, inspect, remediate } = options.functions;
  const tableStatement = new iam.PolicyStatement({
    sid: 'StateTableItems',
    actions: [...TABLE_ITEM_ACTIONS],
    resources: [state.table.tableArn],
  });
  for (const fn of [probe, inspect, remediate]) {
    fn.addToRolePolicy(tableStatement);
    state.topic.grantPublish(fn);
  }
  for (const fn of [inspect, remediate]) {
    fn.addToRolePolicy(elbv2ReadStatement());
  }
  inspect.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'ReadMetricsAndChangeHistory',
      // Neither action supports resource-level permissions.
      actions: ['cloudwatch:GetMetricData', 'cloudtrail:LookupEvents'],
      resources: ['*'],
    }),
  );
  state.remediationTopic.grantPublish(inspect);
  // A request SNS cannot deliver after its retries lands in the dead-letter queue, whose alarm
  // pages: a handoff is never lost silently.
  state.remediationTopic.addSubscription(
    new subscriptions.LambdaSubscription(remediate, { deadLetterQueue: state.deadLetterQueue }),
  );
  for (const statement of remediationWriteStatements(
    services.map((s) => ({
      loadBalancer: s.loadBalancer,
      targetGroupArns: s.targetGroupArns,
      allowCreateRule: s.allowCreateRule,
    })),
  )) {
    remediate.addToRolePolicy(statement);
  }
  acknowledgeScopedWildcards(options.functions, services);
}

/**
 * The only wildcards in the remediate policy are the ARN patterns derived from the guarded load
 * balancer; cdk-nag reports each one, and each is acknowledged here by its exact text.
 */
function acknowledgeScopedWildcards(functions: LbGuardFunctions, services: readonly ResolvedService[]): void {
  const { probe, inspect, remediate } = functions;
  const stack = Stack.of(remediate);
  const patterns = new Set<string>();
  for (const s of services) {
    patterns.add(s.loadBalancer.listenerArnPattern);
    patterns.add(s.loadBalancer.listenerRuleArnPattern);
    if (s.targetGroupArns.length === 0) {
      patterns.add(s.loadBalancer.targetGroupArnPattern);
    }
  }
  for (const pattern of patterns) {
    Validations.of(remediate.role ?? remediate).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagText(stack, pattern)}]`,
      reason:
        'Remediation writes are scoped to the listeners, listener rules or target groups of the guarded load balancer; the trailing wildcard stands for their generated IDs, which change when a deployment recreates them.',
    });
  }
  for (const fn of [probe, inspect, remediate]) {
    Validations.of(fn.role ?? fn).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        'Publishing to the KMS-encrypted topic needs kms:GenerateDataKey* (granted by topic.grantPublish) on the topic key alone; the resource is that key ARN, not a wildcard.',
    });
  }
  for (const fn of [inspect, remediate]) {
    Validations.of(fn.role ?? fn).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ELBv2 Describe* actions (and, for inspect, cloudwatch:GetMetricData and cloudtrail:LookupEvents) support no resource-level permissions; they are read-only and named one by one.',
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
