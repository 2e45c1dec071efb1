// Hub forwarding (issue 19): the HubEventBusArn parameter decides, in CloudFormation, whether a
// spoke reports to the hub. Every forwarding resource carries the condition, so a stack (or
// StackSet instance) without a hub has none of them; with one it has exactly these.
import { beforeAll, describe, expect, it } from 'vitest';
import { HUB_EVENT_BUS_ARN_PATTERN, LbGuardStack } from '../../../infra/index.ts';
import { ENV, SYNTH_TIMEOUT } from './stacks.ts';
import { asList, type Synthesized, synthesize, testConfig } from './support.ts';

type Resource = { Type: string; Properties?: Record<string, unknown>; Condition?: string };

let synth: Synthesized;
let all: [string, Resource][];
let condition: string;

beforeAll(() => {
  synth = synthesize(
    (app) => new LbGuardStack(app, 'Guard', { env: ENV, config: testConfig({ mode: 'auto' }) }),
  );
  all = Object.entries(synth.json.Resources as Record<string, Resource>);
  const conditions = Object.keys((synth.json as { Conditions?: Record<string, unknown> }).Conditions ?? {});
  expect(conditions).toHaveLength(1);
  condition = conditions[0] ?? '';
}, SYNTH_TIMEOUT);

/** The resources CloudFormation creates when `HubEventBusArn` is `hub` ('' or an ARN). */
function createdWith(hub: string): [string, Resource][] {
  return all.filter(([, r]) => r.Condition === undefined || hub !== '');
}

const HUB = 'arn:aws:events:eu-west-1:999999999999:event-bus/lbguard-hub';

describe('the HubEventBusArn parameter', () => {
  it("defaults to '' and accepts only '' or an EventBridge bus ARN", () => {
    const parameter = (synth.json as unknown as { Parameters: Record<string, Record<string, string>> })
      .Parameters.HubEventBusArn;
    expect(parameter?.Default).toBe('');
    const pattern = new RegExp(parameter?.AllowedPattern ?? '$^');
    expect(parameter?.AllowedPattern).toBe(HUB_EVENT_BUS_ARN_PATTERN);
    for (const ok of ['', HUB, 'arn:aws-us-gov:events:us-gov-west-1:111111111111:event-bus/a.b-c_d']) {
      expect(pattern.test(ok), ok).toBe(true);
    }
    for (const bad of [
      'lbguard-hub',
      'arn:aws:sns:eu-west-1:999999999999:topic',
      'arn:aws:events:eu-west-1:99999:event-bus/x',
      `${HUB} `,
    ]) {
      expect(pattern.test(bad), bad).toBe(false);
    }
    expect((synth.json as unknown as { Conditions: Record<string, unknown> }).Conditions[condition]).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'HubEventBusArn' }, ''] }],
    });
  });

  it('creates nothing for the hub without one, and exactly the forwarding with one', () => {
    const extra = createdWith(HUB).filter(([id]) => !createdWith('').some(([other]) => other === id));
    expect(extra.map(([, r]) => r.Type).sort()).toEqual(
      [
        'AWS::CloudWatch::Alarm',
        'AWS::Events::Rule',
        'AWS::IAM::Policy',
        'AWS::IAM::Policy',
        'AWS::IAM::Role',
        'AWS::SQS::Queue',
        'AWS::SQS::QueuePolicy',
      ].sort(),
    );
    for (const [, r] of extra) expect(r.Condition).toBe(condition);
    // Nothing unconditional may refer to a conditional resource: the stack would not deploy without a hub.
    const conditional = new Set(extra.map(([id]) => id));
    for (const [id, r] of createdWith('')) {
      const text = JSON.stringify(r);
      for (const other of conditional) {
        expect(text.includes(`"${other}"`), `${id} refers to ${other}`).toBe(false);
      }
    }
  });

  it('switches LBGUARD_HUB_EVENTS on for inspect and remediate where there is a hub, probe never', () => {
    const byService = Object.fromEntries(
      all
        .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
        .map(([, r]) => {
          const vars =
            (r.Properties?.Environment as { Variables: Record<string, unknown> } | undefined)?.Variables ??
            {};
          return [String(vars.POWERTOOLS_SERVICE_NAME), vars.LBGUARD_HUB_EVENTS];
        }),
    );
    const ifHub = { 'Fn::If': [condition, 'on', 'off'] };
    expect(byService).toEqual({
      'lbguard-probe': undefined,
      'lbguard-inspect': ifHub,
      'lbguard-remediate': ifHub,
    });
  });

  it("lets inspect and remediate put events on this account+region's default bus only", () => {
    const [[, policy]] = all.filter(
      ([id, r]) => r.Type === 'AWS::IAM::Policy' && id.includes('PutEventsOnDefaultBus'),
    ) as [[string, Resource]];
    expect(policy.Properties?.PolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ReportToHub',
          Effect: 'Allow',
          Action: 'events:PutEvents',
          Resource: {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':events:eu-west-1:123456789012:event-bus/default'],
            ],
          },
        },
      ],
    });
    const roles = asList(policy.Properties?.Roles as unknown[]).map((r) => (r as { Ref: string }).Ref);
    expect(roles.map((r) => r.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'LbGuardInspectRole',
      'LbGuardRemediateRole',
    ]);
  });

  it("forwards source lbguard to the hub's bus through a role that may put events on that ARN only, with a DLQ", () => {
    const [[, rule]] = all.filter(
      ([id, r]) => r.Type === 'AWS::Events::Rule' && id.includes('HubForwarding'),
    ) as [[string, Resource]];
    expect(rule.Properties?.EventPattern).toEqual({ source: ['lbguard'] });
    const [target] = (rule.Properties?.Targets ?? []) as Record<string, unknown>[];
    expect(target?.Arn).toEqual({ Ref: 'HubEventBusArn' });
    expect(target?.DeadLetterConfig).toEqual({
      Arn: { 'Fn::GetAtt': [expect.stringMatching(/^LbGuardHubForwardingDeadLetterQueue/), 'Arn'] },
    });
    const roleId =
      (target?.RoleArn as { 'Fn::GetAtt': [string, string] } | undefined)?.['Fn::GetAtt'][0] ?? '';
    const role = all.find(([id]) => id === roleId)?.[1];
    expect(role?.Properties?.AssumeRolePolicyDocument).toMatchObject({
      Statement: [{ Principal: { Service: 'events.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    const rolePolicies = all.filter(
      ([, r]) =>
        r.Type === 'AWS::IAM::Policy' &&
        asList(r.Properties?.Roles as unknown[]).some((x) => JSON.stringify(x).includes(roleId)),
    );
    expect(rolePolicies.map(([, r]) => r.Properties?.PolicyDocument)).toEqual([
      {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: { Ref: 'HubEventBusArn' } }],
      },
    ]);
  });

  it('pages on the forwarding dead-letter queue through the topic', () => {
    const [[, alarm]] = all.filter(
      ([id, r]) => r.Type === 'AWS::CloudWatch::Alarm' && id.includes('HubForwarding'),
    ) as [[string, Resource]];
    expect(alarm.Properties?.MetricName).toBe('ApproximateNumberOfMessagesVisible');
    expect(alarm.Properties?.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^LbGuardTopic/) }]);
  });
});
