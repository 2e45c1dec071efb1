import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { WRITES_LEADING_KEYS } from '../lambdas/adapters/state-store/layout.ts';
import type { SecretReference } from '../lib/config/index.ts';
import type { LbGuardFunctions } from './functions.ts';
import {
  elbv2ReadStatement,
  modeWritesLoadBalancer,
  ownerReadStatements,
  remediationWriteStatements,
  TABLE_ACTIONS,
  TABLE_READ_ACTIONS,
} from './permissions.ts';
import type { ResolvedService } from './services.ts';
import type { LbGuardState } from './state.ts';

export interface FunctionPermissionsOptions {
  readonly state: LbGuardState;
  /** The secrets the config's probes name: probe may read exactly these. */
  readonly probeSecrets: readonly SecretReference[];
  readonly functions: LbGuardFunctions;
  readonly services: readonly ResolvedService[];
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
  const guarded = [...new Set(services.map((s) => s.loadBalancer.arn))];
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

function roleOf(fn: LbGuardFunctions[keyof LbGuardFunctions]): iam.IRole {
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
