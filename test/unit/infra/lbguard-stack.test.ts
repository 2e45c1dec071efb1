// The stand-alone stack guarding an imported load balancer (by ARN from the config), asserted
// on the synthesized template. Synthesized once: bundling three functions takes seconds.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { LbGuardStack } from '../../../infra/index.ts';
import { parseConfig } from '../../../lib/config/index.ts';
import { ROUTING_EVENT_NAMES } from '../../../lib/routing-events.ts';
import {
  asList,
  isElbWriteAction,
  LB_ARN,
  policyStatements,
  runCfnLint,
  type Synthesized,
  synthesize,
  testConfig,
} from './support.ts';

const LISTENERS = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/50dc6c495c0c9188/*';
const RULES = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/shop/50dc6c495c0c9188/*';
const TARGET_GROUPS = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/*';

let synth: Synthesized;
const config = testConfig({ mode: 'auto' });

beforeAll(() => {
  synth = synthesize(
    (app) =>
      new LbGuardStack(app, 'Guard', {
        env: { account: '123456789012', region: 'eu-west-1' },
        config,
      }),
  );
}, 120_000);

function functionByService(service: string): Record<string, unknown> {
  const found = Object.values(synth.json.Resources).find(
    (r) =>
      r.Type === 'AWS::Lambda::Function' &&
      (r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
        ?.POWERTOOLS_SERVICE_NAME === service,
  );
  if (found?.Properties === undefined) throw new Error(`no function ${service}`);
  return found.Properties;
}

describe('LbGuardStack guarding an imported load balancer', () => {
  it('passes cdk-nag AwsSolutionsChecks with no unacknowledged finding', () => {
    const violations = synth.report.pluginReports.flatMap((r) => r.violations ?? []);
    expect(violations).toEqual([]);
  });

  it("reports the package.json version it was synthesized from, as an output and in the template's metadata", () => {
    const pkg = path.resolve(import.meta.dirname, '..', '..', '..', 'package.json');
    const { version } = JSON.parse(readFileSync(pkg, 'utf8')) as { version: string };
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    synth.template.hasOutput('LbGuardVersion', { Value: version });
    expect((synth.json as { Metadata?: unknown }).Metadata).toEqual({ LbGuard: { version } });
  });

  it('runs all three functions on Node 24, arm64, bundled as ESM, with log groups that expire', () => {
    synth.template.resourceCountIs('AWS::Lambda::Function', 3);
    synth.template.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON', LogGroup: Match.anyValue() }),
      DeadLetterConfig: { TargetArn: Match.anyValue() },
    });
    synth.template.resourceCountIs('AWS::Logs::LogGroup', 3);
    synth.template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('lets remediate run only one at a time', () => {
    expect(functionByService('lbguard-remediate').ReservedConcurrentExecutions).toBe(1);
    expect(functionByService('lbguard-probe').ReservedConcurrentExecutions).toBeUndefined();
  });

  it('sizes memory for what each function does', () => {
    expect(functionByService('lbguard-probe').MemorySize).toBe(128);
    expect(functionByService('lbguard-inspect').MemorySize).toBe(256);
    expect(functionByService('lbguard-remediate').MemorySize).toBe(256);
  });

  it('sizes timeouts from the schedule and the verification deadline', () => {
    // probeLoopSeconds defaults to 50; verifyDeadlineSeconds is 200 in the fixture.
    expect(functionByService('lbguard-probe').Timeout).toBe(80);
    expect(functionByService('lbguard-remediate').Timeout).toBe(320);
  });

  it('hands every function the validated config and the names of the table and topic', () => {
    for (const service of ['lbguard-probe', 'lbguard-inspect', 'lbguard-remediate']) {
      const variables = (functionByService(service).Environment as { Variables: Record<string, unknown> })
        .Variables;
      expect(variables).toMatchObject({
        LBGUARD_TABLE: { Ref: expect.stringMatching(/Table/) },
        LBGUARD_TOPIC_ARN: { Ref: expect.stringMatching(/^LbGuardTopic[0-9A-F]/) },
        POWERTOOLS_METRICS_NAMESPACE: 'LbGuard',
        POWERTOOLS_SERVICE_NAME: service,
      });
      const parsed = parseConfig(String(variables.LBGUARD_CONFIG), 'LBGUARD_CONFIG');
      expect(parsed).toEqual({ ok: true, config });
    }
    const inspect = (
      functionByService('lbguard-inspect').Environment as { Variables: Record<string, unknown> }
    ).Variables;
    const remediate = (
      functionByService('lbguard-remediate').Environment as { Variables: Record<string, unknown> }
    ).Variables;
    for (const variables of [inspect, remediate]) {
      expect(variables.LBGUARD_REMEDIATION_TOPIC_ARN).toEqual({
        Ref: expect.stringMatching(/^LbGuardRemediationTopic/),
      });
    }
    const probe = (functionByService('lbguard-probe').Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(probe.LBGUARD_REMEDIATION_TOPIC_ARN).toBeUndefined();
  });

  it('hands remediation requests from inspect to remediate through their own encrypted topic, with a dead-letter queue', () => {
    const topics = Object.entries(synth.json.Resources).filter(([, r]) => r.Type === 'AWS::SNS::Topic');
    const handoff = topics.find(([id]) => id.startsWith('LbGuardRemediationTopic'));
    expect(handoff?.[1].Properties?.KmsMasterKeyId).toEqual(expect.anything());
    const subscriptions = Object.values(synth.json.Resources).filter(
      (r) =>
        r.Type === 'AWS::SNS::Subscription' &&
        JSON.stringify(r.Properties?.TopicArn).includes(handoff?.[0] ?? '?'),
    );
    // Remediate alone: no person ever receives a remediation request.
    expect(subscriptions.map((r) => r.Properties?.Protocol)).toEqual(['lambda']);
    expect(JSON.stringify(subscriptions[0]?.Properties?.Endpoint)).toMatch(/Remediate/);
    expect(JSON.stringify(subscriptions[0]?.Properties?.RedrivePolicy)).toMatch(/DeadLetterQueue/);
    synth.template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'sns.amazonaws.com',
      SourceArn: { Ref: handoff?.[0] },
    });
    // The notification topic's subscribers never see the handoff, and vice versa.
    const notify = topics.find(([id]) => /^LbGuardTopic[0-9A-F]/.test(id));
    expect(notify).toBeDefined();
    const published = (topicId: string) =>
      policyStatements(synth.json)
        .filter(({ statement }) => asList(statement.Action).includes('sns:Publish'))
        .filter(({ statement }) => JSON.stringify(statement.Resource).includes(topicId))
        .map(({ policy }) => policy.replace(/^Guard|RoleDefaultPolicy.*$/g, ''))
        .sort();
    expect(published(handoff?.[0] ?? '?')).toEqual(['LbGuardInspect']);
  });

  it('keeps state in an on-demand table with PITR, encryption and TTL on expiresAt, retained on destroy', () => {
    synth.template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      },
      DeletionPolicy: 'Retain',
    });
  });

  it('notifies through a KMS-encrypted topic that refuses publishers without TLS', () => {
    synth.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    synth.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    synth.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    synth.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
    synth.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'https',
      Endpoint: 'https://hooks.example.com/lbguard',
    });
  });

  it('lets CloudWatch alarms use the topic key', () => {
    synth.template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
  });

  it('catches failed asynchronous invocations in an encrypted, TLS-only dead-letter queue', () => {
    synth.template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    synth.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    synth.template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 3);
    synth.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 120,
    });
  });

  it('runs probe every minute and inspect at the configured rate', () => {
    synth.template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
    synth.template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(2 minutes)' });
  });

  it('wakes inspect on CloudTrail ELBv2 changes to the guarded load balancer only', () => {
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.elasticloadbalancing'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: Match.objectLike({
          eventSource: ['elasticloadbalancing.amazonaws.com'],
          eventName: Match.arrayWith([
            'ModifyListener',
            'ModifyRule',
            'SetRulePriorities',
            'DeregisterTargets',
          ]),
          errorCode: [{ exists: false }],
          $or: Match.arrayWith([
            { requestParameters: { loadBalancerArn: [LB_ARN] } },
            { requestParameters: { listenerArn: [{ prefix: LISTENERS.slice(0, -1) }] } },
            { requestParameters: { ruleArn: [{ prefix: RULES.slice(0, -1) }] } },
          ]),
        }),
      },
      Targets: [Match.objectLike({ DeadLetterConfig: Match.anyValue(), RetryPolicy: Match.anyValue() })],
    });
  });

  it('sends inspect only the CloudTrail event names its event schema accepts', () => {
    const rule = Object.values(synth.json.Resources).find(
      (r) =>
        r.Type === 'AWS::Events::Rule' &&
        String(JSON.stringify(r.Properties?.EventPattern)).includes('CloudTrail'),
    );
    const pattern = rule?.Properties?.EventPattern as { detail: { eventName: string[] } } | undefined;
    expect(pattern?.detail.eventName).toEqual([...ROUTING_EVENT_NAMES]);
  });

  it('wakes inspect when a service alarm enters ALARM', () => {
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        resources: Match.arrayWith([{ 'Fn::GetAtt': [Match.stringLikeRegexp('ProbeFailing'), 'Arn'] }]),
        detail: { state: { value: ['ALARM'] } },
      },
    });
  });

  it('grants no ELBv2 write action on Resource "*"', () => {
    const writes = policyStatements(synth.json).filter(({ statement }) =>
      asList(statement.Action).some(isElbWriteAction),
    );
    expect(writes.length).toBeGreaterThan(0);
    for (const { statement } of writes) {
      expect(asList(statement.Resource)).not.toContain('*');
    }
  });

  it('scopes each remediation write to the guarded load balancer listener, rule and target-group patterns', () => {
    const byAction = new Map<string, unknown[]>();
    for (const { statement } of policyStatements(synth.json)) {
      for (const action of asList(statement.Action).filter(isElbWriteAction)) {
        byAction.set(action, asList(statement.Resource));
      }
    }
    expect(Object.fromEntries(byAction)).toEqual({
      'elasticloadbalancing:ModifyListener': [LISTENERS],
      'elasticloadbalancing:ModifyRule': [RULES],
      'elasticloadbalancing:SetRulePriorities': [RULES],
      'elasticloadbalancing:RegisterTargets': [TARGET_GROUPS],
    });
  });

  it('never grants deregistration, deletion or rule creation when the policy does not allow it', () => {
    const actions = policyStatements(synth.json).flatMap(({ statement }) => asList(statement.Action));
    expect(
      actions.filter((a) => /Deregister|Delete|CreateRule/.test(a) && a.startsWith('elasticloadbalancing')),
    ).toEqual([]);
  });

  it('gives only inspect and remediate ELBv2 read access, and no function the right to invoke another', () => {
    const holders = (action: string) =>
      policyStatements(synth.json)
        .filter(({ statement }) => asList(statement.Action).includes(action))
        .map(({ policy }) => policy.replace(/^Guard|RoleDefaultPolicy.*$/g, ''))
        .sort();
    expect(holders('elasticloadbalancing:DescribeTargetHealth')).toEqual([
      'LbGuardInspect',
      'LbGuardRemediate',
    ]);
    expect(holders('lambda:InvokeFunction')).toEqual([]);
    expect(holders('elasticloadbalancing:ModifyListener')).toEqual(['LbGuardRemediate']);
  });

  it('creates the default alarm layout, each alarm notifying the topic', () => {
    // The hub forwarding alarm exists only with a HubEventBusArn (hub-forwarding.test.ts).
    const alarms = Object.values(synth.json.Resources).filter(
      (r) => r.Type === 'AWS::CloudWatch::Alarm' && !('Condition' in r),
    );
    // No target groups named here, so no unhealthy-hosts alarm: 4 for shop, 4 for the deployment.
    expect(alarms.map((a) => a.Properties?.MetricName).sort()).toEqual([
      'ApproximateNumberOfMessagesVisible',
      'DriftCount',
      'HTTPCode_ELB_5XX_Count',
      'Invocations',
      'Invocations',
      'ProbeSuccess',
      'Signal',
      'StateWriteFailed',
    ]);
    for (const alarm of alarms) {
      expect(alarm.Properties?.AlarmActions).toEqual([
        { Ref: expect.stringMatching(/^LbGuardTopic[0-9A-F]/) },
      ]);
    }
    // Opt-in: the composite, the errors alarm and the dashboard.
    synth.template.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 0);
    synth.template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(Object.keys(synth.template.findOutputs('*'))).not.toContain('DashboardName');
  });

  it('names the verdict in the Signal alarm: one alarm for skew, failed remediation and escalation', () => {
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Signal',
      Namespace: 'LbGuard',
      Dimensions: [{ Name: 'Service', Value: 'shop' }],
      Statistic: 'Maximum',
      Threshold: 1,
      TreatMissingData: 'notBreaching',
      AlarmDescription: Match.stringLikeRegexp(
        '1 = routing skew.*2 = remediation failed.*3 = incident escalated',
      ),
    });
  });

  it('treats a silent probe or inspect as breaching', () => {
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ProbeSuccess',
      Namespace: 'LbGuard',
      Dimensions: [{ Name: 'Service', Value: 'shop' }],
      TreatMissingData: 'breaching',
    });
    const invocationAlarms = Object.values(synth.json.Resources).filter(
      (r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties?.MetricName === 'Invocations',
    );
    expect(invocationAlarms.map((a) => a.Properties?.TreatMissingData)).toEqual(['breaching', 'breaching']);
  });

  it('alarms when the state table cannot be written, once for the whole deployment', () => {
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'StateWriteFailed',
      Namespace: 'LbGuard',
      Statistic: 'Sum',
      Threshold: 1,
      Dimensions: Match.absent(),
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms on drift only after it outlasts the soak period', () => {
    // soakSeconds 900 → 15 + 5 minutes, at inspect's 2-minute period.
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'DriftCount',
      Period: 120,
      EvaluationPeriods: 10,
    });
  });

  it('reads ALB metrics by the load balancer dimension derived from its ARN', () => {
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'HTTPCode_ELB_5XX_Count',
      Dimensions: [{ Name: 'LoadBalancer', Value: 'app/shop/50dc6c495c0c9188' }],
    });
  });

  it('creates no trail and no trigger unless asked', () => {
    synth.template.resourceCountIs('AWS::CloudTrail::Trail', 0);
    synth.template.resourceCountIs('Custom::Trigger', 0);
  });

  it('outputs the kill switch command', () => {
    synth.template.hasOutput('KillSwitchCommand', {
      Value: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('put-function-concurrency')])] },
    });
  });

  it('gives cfn-lint nothing to call an error', { timeout: 60_000 }, () => {
    const lint = runCfnLint(synth.templatePath);
    expect(lint.errors, lint.output).toEqual([]);
    // The only warnings are CDK's redundant DependsOn on the function roles (docs/deploy.md).
    expect(
      lint.warnings.every((w) => w.includes(':W3005:')),
      lint.output,
    ).toBe(true);
  });
});
