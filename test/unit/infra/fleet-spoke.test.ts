// The spoke of a fleet (issue 19): discovery mode (tag enrolment, account+region-wide grants, the
// enrol function and its triggers, one alarm for tag-enrolled services' verdicts) and the hub
// forwarding behind the HubEventBusArn parameter, asserted on synthesized templates.
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { LbGuardStack, OperationalAlarms } from '../../../infra/index.ts';
import { type LbGuardConfig, loadConfigOrThrow, parseConfig } from '../../../lib/config/index.ts';
import { ENROLMENT_EVENT_NAMES } from '../../../lib/routing-events.ts';
import { TemplateRenderer } from './policy-check.ts';
import { ENV, SYNTH_TIMEOUT, stackEnv } from './stacks.ts';
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

/** Guards `shop` by ARN and every load balancer tagged lbguard:guard, profiles `web` and `api`. */
function discoveryConfig(services: 'shop' | 'none'): LbGuardConfig {
  return loadConfigOrThrow(
    `
version: 1
region: eu-west-1
schedule:
  inspectRateMinutes: 2
discovery:
  sweepMinutes: 10
  profiles:
    web:
      probes:
        - { name: home, url: "https://example.com/" }
      remediation: { mode: auto, allowCreateRule: true, codeDeployApplications: [web] }
    api:
      remediation: { mode: dry-run, codeDeployApplications: [api] }
services:${
      services === 'none'
        ? ' []'
        : `
  - name: shop
    loadBalancerArn: ${LB_ARN}
    probes:
      - { name: health, url: "https://shop.example.com/health" }
    remediation: { mode: auto, codeDeployApplications: [shop] }`
    }
`,
    'discovery.yaml',
  );
}

type Resource = Synthesized['json']['Resources'][string] & { Condition?: string };

function resources(synth: Synthesized, type: string): [string, Resource][] {
  return Object.entries(synth.json.Resources as Record<string, Resource>).filter(([, r]) => r.Type === type);
}

function functionNamed(synth: Synthesized, service: string): [string, Record<string, unknown>] {
  const found = resources(synth, 'AWS::Lambda::Function').find(
    ([, r]) =>
      (r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
        ?.POWERTOOLS_SERVICE_NAME === service,
  );
  if (found?.[1].Properties === undefined) throw new Error(`no function ${service}`);
  return [found[0], found[1].Properties];
}

function variables(synth: Synthesized, service: string): Record<string, unknown> {
  return (functionNamed(synth, service)[1].Environment as { Variables: Record<string, unknown> }).Variables;
}

/** The statements of the policies attached to `fnService`'s role (identity policies only). */
function statementsOf(synth: Synthesized, fnService: string) {
  const role = (functionNamed(synth, fnService)[1].Role as { 'Fn::GetAtt': [string, string] })[
    'Fn::GetAtt'
  ][0];
  const policies = new Set(
    resources(synth, 'AWS::IAM::Policy')
      .filter(([, r]) =>
        asList(r.Properties?.Roles as unknown[]).some((x) => JSON.stringify(x).includes(role)),
      )
      .map(([id]) => id),
  );
  return policyStatements(synth.json).filter((s) => policies.has(s.policy));
}

/** `value` with every intrinsic rendered to the text CloudFormation would give it. */
function rendered(synth: Synthesized, value: unknown): unknown {
  const renderer = new TemplateRenderer(synth.json, stackEnv(synth.stack.stackName));
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const keys = Object.keys(v);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]?.startsWith('Fn::'))) return renderer.render(v);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
  };
  return walk(value);
}

const ACCOUNT_WIDE = (kind: string) => `arn:aws:elasticloadbalancing:eu-west-1:123456789012:${kind}`;

describe('a spoke in discovery mode, guarding shop by ARN and tagged load balancers', () => {
  let synth: Synthesized;
  const config = discoveryConfig('shop');

  beforeAll(() => {
    synth = synthesize((app) => new LbGuardStack(app, 'Spoke', { env: ENV, config }));
  }, SYNTH_TIMEOUT);

  it('passes cdk-nag with every account+region-wide grant acknowledged, and cfn-lint with no error', () => {
    expect(synth.report.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
    expect(runCfnLint(synth.templatePath).errors).toEqual([]);
  });

  it('creates the enrol function with the shared environment, the state key and the hub switch', () => {
    synth.template.resourceCountIs('AWS::Lambda::Function', 4);
    const env = variables(synth, 'lbguard-enrol');
    expect(Object.keys(env).sort()).toEqual(
      [
        'LBGUARD_CONFIG',
        'LBGUARD_HUB_EVENTS',
        'LBGUARD_STATE_KEY',
        'LBGUARD_TABLE',
        'LBGUARD_TOPIC_ARN',
        'NODE_OPTIONS',
        'POWERTOOLS_METRICS_NAMESPACE',
        'POWERTOOLS_SERVICE_NAME',
      ].sort(),
    );
    expect(env.LBGUARD_STATE_KEY).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^LbGuardStateKey/), 'Arn'],
    });
    const parsed = parseConfig(String(env.LBGUARD_CONFIG), 'LBGUARD_CONFIG');
    expect(parsed.ok && parsed.config.discovery?.sweepMinutes).toBe(10);
    // Probe verifies the signed registry with the state key too.
    expect(variables(synth, 'lbguard-probe').LBGUARD_STATE_KEY).toEqual(env.LBGUARD_STATE_KEY);
  });

  it('wakes enrol on successful enrolment events and on a sweep every sweepMinutes', () => {
    const [enrolId] = functionNamed(synth, 'lbguard-enrol');
    const rules = resources(synth, 'AWS::Events::Rule').filter(([, r]) =>
      JSON.stringify(r.Properties?.Targets).includes(enrolId),
    );
    const pattern = rules.map(([, r]) => r.Properties?.EventPattern).find((p) => p !== undefined);
    expect(pattern).toEqual({
      source: ['aws.elasticloadbalancing'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: {
        eventSource: ['elasticloadbalancing.amazonaws.com'],
        eventName: [...ENROLMENT_EVENT_NAMES],
        errorCode: [{ exists: false }],
      },
    });
    expect(rules.map(([, r]) => r.Properties?.ScheduleExpression).filter(Boolean)).toEqual([
      'rate(10 minutes)',
    ]);
    for (const [, rule] of rules) {
      const [target] = (rule.Properties?.Targets ?? []) as { DeadLetterConfig?: unknown }[];
      expect(target?.DeadLetterConfig).toBeDefined();
    }
  });

  it('wakes inspect on routing changes anywhere in the account and region, by ARN prefix', () => {
    const routing = resources(synth, 'AWS::Events::Rule').find(([id]) =>
      id.startsWith('LbGuardRoutingChange'),
    );
    const detail = (routing?.[1].Properties?.EventPattern as { detail: { $or: unknown[] } } | undefined)
      ?.detail;
    expect(rendered(synth, detail?.$or)).toEqual([
      { requestParameters: { loadBalancerArn: [{ prefix: ACCOUNT_WIDE('loadbalancer/app/') }] } },
      { requestParameters: { listenerArn: [{ prefix: ACCOUNT_WIDE('listener/app/') }] } },
      { requestParameters: { ruleArn: [{ prefix: ACCOUNT_WIDE('listener-rule/app/') }] } },
      {
        requestParameters: { rulePriorities: { ruleArn: [{ prefix: ACCOUNT_WIDE('listener-rule/app/') }] } },
      },
      { requestParameters: { targetGroupArn: [{ prefix: ACCOUNT_WIDE('targetgroup/') }] } },
    ]);
  });

  it('lets remediate write only the actions lbguard uses, on every ALB listener, rule and target group here', () => {
    const writes = statementsOf(synth, 'lbguard-remediate').filter(({ statement }) =>
      asList(statement.Action).some(isElbWriteAction),
    );
    expect(
      rendered(
        synth,
        writes.map(({ statement }) => [
          asList(statement.Action).sort(),
          asList(statement.Resource as string),
        ]),
      ),
    ).toEqual([
      [['elasticloadbalancing:ModifyListener'], [ACCOUNT_WIDE('listener/app/*')]],
      [
        ['elasticloadbalancing:ModifyRule', 'elasticloadbalancing:SetRulePriorities'],
        [ACCOUNT_WIDE('listener-rule/app/*')],
      ],
      [['elasticloadbalancing:RegisterTargets'], [ACCOUNT_WIDE('targetgroup/*')]],
      // The web profile allows it.
      [
        ['elasticloadbalancing:CreateRule'],
        [ACCOUNT_WIDE('listener/app/*'), ACCOUNT_WIDE('listener-rule/app/*')],
      ],
    ]);
    // No other function may write to a load balancer.
    for (const fn of ['lbguard-probe', 'lbguard-inspect', 'lbguard-enrol']) {
      const actions = statementsOf(synth, fn).flatMap(({ statement }) => asList(statement.Action));
      expect(actions.filter(isElbWriteAction), fn).toEqual([]);
    }
  });

  it('lets remediate re-read tags and read the owners of the profiles and services named applications', () => {
    const actions = statementsOf(synth, 'lbguard-remediate').flatMap(({ statement }) =>
      asList(statement.Action),
    );
    expect(actions).toContain('elasticloadbalancing:DescribeTags');
    const deploymentGroups = statementsOf(synth, 'lbguard-remediate').find(({ statement }) =>
      asList(statement.Action).includes('codedeploy:ListDeploymentGroups'),
    );
    expect(rendered(synth, asList(deploymentGroups?.statement.Resource as string))).toEqual(
      ['web', 'api', 'shop'].map((a) => `arn:aws:codedeploy:eu-west-1:123456789012:application:${a}`),
    );
    expect(actions).not.toContain('codedeploy:ListApplications');
  });

  it('grants enrol its reads, the table, the MAC key, the topic, the DLQ and the hub, and nothing it does not call', () => {
    const statements = statementsOf(synth, 'lbguard-enrol').map(({ statement }) => statement);
    const actions = statements.flatMap((s) => asList(s.Action)).sort();
    expect(actions).toEqual(
      [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        // Only where HubEventBusArn is given (hub-forwarding.test.ts).
        'events:PutEvents',
        // Its failed asynchronous invocations.
        'sqs:SendMessage',
        'elasticloadbalancing:DescribeLoadBalancers',
        'elasticloadbalancing:DescribeTags',
        'kms:GenerateMac',
        'kms:VerifyMac',
        'kms:Decrypt',
        'kms:GenerateDataKey*',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sns:Publish',
      ].sort(),
    );
  });

  it('lets probe read the registry and verify its signature, and nothing more on the table or key', () => {
    const statements = statementsOf(synth, 'lbguard-probe').map(({ statement }) => statement);
    const actions = statements.flatMap((s) => asList(s.Action));
    expect(actions).toContain('dynamodb:GetItem');
    expect(actions).toContain('kms:VerifyMac');
    expect(actions).not.toContain('kms:GenerateMac');
  });

  it('keeps the listed service its own alarms and gives tag-enrolled services one verdict alarm', () => {
    const alarms = resources(synth, 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties ?? {});
    const enrolled = alarms.filter((a) => JSON.stringify(a.Metrics ?? []).includes('SELECT MAX(Signal)'));
    expect(enrolled).toHaveLength(1);
    const [query] = (enrolled[0]?.Metrics ?? []) as { Expression: string; Period: number }[];
    expect(query?.Expression).toBe(
      `SELECT MAX(Signal) FROM SCHEMA("LbGuard", Service) WHERE Service != 'shop' GROUP BY Service`,
    );
    expect(query?.Period).toBe(120);
    expect(alarms.filter((a) => a.MetricName === 'Signal')).toHaveLength(1);
  });
});

describe('a spoke that guards only tagged load balancers', () => {
  it(
    'synthesizes with services: [] when the config has discovery',
    () => {
      const synth = synthesize(
        (app) => new LbGuardStack(app, 'TagsOnly', { env: ENV, config: discoveryConfig('none') }),
      );
      expect(synth.report.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
      const alarms = resources(synth, 'AWS::CloudWatch::Alarm').map(([, r]) => JSON.stringify(r.Properties));
      expect(
        alarms.filter((a) =>
          a.includes('SELECT MAX(Signal) FROM SCHEMA(\\"LbGuard\\", Service) GROUP BY Service'),
        ),
      ).toHaveLength(1);
    },
    SYNTH_TIMEOUT,
  );

  it('still refuses services: [] without discovery, before building anything', () => {
    const config = { ...testConfig(), services: [] };
    expect(() => new LbGuardStack(new App(), 'Nothing', { env: ENV, config })).toThrow(
      /services is empty.*add discovery/,
    );
  });
});

describe('operational alarms in discovery mode', () => {
  it("count enrol's errors in FunctionErrors as 8, beside probe 1, inspect 2 and remediate 4", () => {
    const stack = new Stack(new App(), 'Alarms', { env: ENV });
    const fn = (id: string) =>
      new lambda.Function(stack, id, {
        code: lambda.Code.fromInline('exports.handler = async () => {}'),
        handler: 'index.handler',
        runtime: lambda.Runtime.NODEJS_24_X,
      });
    const alarms = new OperationalAlarms(stack, 'Ops', {
      probe: fn('P'),
      inspect: fn('I'),
      remediate: fn('R'),
      enrol: fn('E'),
      deadLetterQueue: new sqs.Queue(stack, 'Dlq'),
      inspectPeriod: Duration.minutes(2),
      options: { functionErrors: true },
    });
    const errors = Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm', {
      Properties: { AlarmDescription: Match.stringLikeRegexp('function errors') },
    });
    const [alarm] = Object.values(errors) as {
      Properties: { Metrics: { Id: string; Expression?: string }[] };
    }[];
    expect(alarm?.Properties.Metrics.find((m) => m.Expression !== undefined)?.Expression).toBe(
      'IF(FILL(p, 0) > 0, 1, 0) + IF(FILL(i, 0) > 0, 2, 0) + IF(FILL(r, 0) > 0, 4, 0) + IF(FILL(e, 0) > 0, 8, 0)',
    );
    expect(alarm?.Properties.Metrics.map((m) => m.Id).sort()).toEqual(['e', 'expr_1', 'i', 'p', 'r']);
    // Without listed services the account-level verdict alarm is a discovery-only addition.
    expect(alarms.enrolledSignal).toBeUndefined();
  });
});
