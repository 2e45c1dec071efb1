// Alarms that cannot reach their topic page nobody, and neither moto nor cdk-nag notices (DESIGN.md
// facts): CloudWatch needs an Allow in the topic policy once the topic has one, and the use of a
// customer managed key. These tests walk every alarm action and every EventBridge rule target of
// the synthesized templates to the topic, its policy and its key, and evaluate them for the
// publishing service.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  deliveryProblems,
  isSnsTarget,
  type ServicePublish,
  servicePublishes,
  type TemplateJson,
  TemplateRenderer,
} from './policy-check.ts';
import {
  createdLbStack,
  everyOptionStack,
  importedLbStack,
  SYNTH_TIMEOUT,
  stackEnv,
  twoServiceConfig,
} from './stacks.ts';
import { type Synthesized, synthesize, testConfig } from './support.ts';

const VARIANTS = [
  ['the stand-alone stack guarding an imported load balancer', 'Guard', importedLbStack(testConfig())],
  [
    'the construct beside a load balancer created in the same app',
    'Shop',
    createdLbStack(testConfig({ allowCreateRule: true })),
  ],
  ['two services with every option', 'Everything', everyOptionStack(twoServiceConfig(['auto', 'dry-run']))],
] as const;

describe.each(VARIANTS)('alarm delivery in %s', (_name, stackName, build) => {
  let synth: Synthesized;
  let render: TemplateRenderer;
  let publishes: ServicePublish[];

  beforeAll(() => {
    synth = synthesize(build);
    render = new TemplateRenderer(synth.json, stackEnv(stackName));
    publishes = servicePublishes(render);
  }, SYNTH_TIMEOUT);

  it('passes cdk-nag with no unacknowledged finding', () => {
    expect(synth.report.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
  });

  it('finds alarm actions to check, and every alarm has one', () => {
    const alarmActions = publishes.filter((p) => p.kind === 'alarm-action');
    expect(alarmActions.length).toBeGreaterThan(0);
    const silent = [
      ...render.resourcesOfType('AWS::CloudWatch::Alarm'),
      ...render.resourcesOfType('AWS::CloudWatch::CompositeAlarm'),
    ]
      .filter(([id]) => !alarmActions.some((p) => p.source.startsWith(`${id} AlarmActions[`)))
      .map(([id]) => id);
    expect(silent).toEqual([]);
  });

  it('lets CloudWatch publish every alarm action to its topic and use the topic key', () => {
    const toSns = publishes.filter((p) => isSnsTarget(render, p));
    expect(toSns.filter((p) => p.kind === 'alarm-action').length).toBeGreaterThan(0);
    expect(toSns.flatMap((p) => deliveryProblems(render, p))).toEqual([]);
  });
});

/** A minimal template: one alarm or rule, one topic, an optional topic policy and key. */
function template(options: {
  readonly topicStatements?: readonly object[];
  readonly keyStatements?: readonly object[];
  readonly publisher?: 'alarm' | 'rule';
}): TemplateRenderer {
  const resources: TemplateJson['Resources'] = {
    Topic: {
      Type: 'AWS::SNS::Topic',
      Properties:
        options.keyStatements === undefined ? {} : { KmsMasterKeyId: { 'Fn::GetAtt': ['Key', 'Arn'] } },
    },
  };
  if (options.publisher === 'rule') {
    resources.Rule = {
      Type: 'AWS::Events::Rule',
      Properties: { Targets: [{ Id: 'T', Arn: { Ref: 'Topic' } }] },
    };
  } else {
    resources.Alarm = { Type: 'AWS::CloudWatch::Alarm', Properties: { AlarmActions: [{ Ref: 'Topic' }] } };
  }
  if (options.topicStatements !== undefined) {
    resources.Policy = {
      Type: 'AWS::SNS::TopicPolicy',
      Properties: { Topics: [{ Ref: 'Topic' }], PolicyDocument: { Statement: options.topicStatements } },
    };
  }
  if (options.keyStatements !== undefined) {
    resources.Key = {
      Type: 'AWS::KMS::Key',
      Properties: { KeyPolicy: { Statement: options.keyStatements } },
    };
  }
  return new TemplateRenderer({ Resources: resources }, stackEnv('Mini'));
}

const TLS_ONLY = {
  Sid: 'TlsOnly',
  Effect: 'Deny',
  Principal: { AWS: '*' },
  Action: 'sns:Publish',
  Resource: { Ref: 'Topic' },
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
};
const ALARMS_ARN = {
  'Fn::Join': [
    '',
    ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:eu-west-1:', { Ref: 'AWS::AccountId' }, ':alarm:*'],
  ],
};
const CLOUDWATCH_PUBLISH = {
  Sid: 'AlarmsPublish',
  Effect: 'Allow',
  Principal: { Service: 'cloudwatch.amazonaws.com' },
  Action: 'sns:Publish',
  Resource: { Ref: 'Topic' },
  Condition: {
    ArnLike: { 'aws:SourceArn': ALARMS_ARN },
    StringEquals: { 'aws:SourceAccount': '123456789012' },
  },
};
const CLOUDWATCH_KEY = {
  Sid: 'AlarmsKey',
  Effect: 'Allow',
  Principal: { Service: 'cloudwatch.amazonaws.com' },
  Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
  Resource: '*',
  Condition: { ArnLike: { 'aws:SourceArn': ALARMS_ARN } },
};

function problemsOf(render: TemplateRenderer): string[] {
  return servicePublishes(render).flatMap((p) => deliveryProblems(render, p));
}

describe('the delivery check itself', () => {
  it('passes a topic without a policy or key: SNS default policy lets the account publish', () => {
    expect(problemsOf(template({}))).toEqual([]);
  });

  it('fails a topic whose policy holds only the TLS-only Deny', () => {
    expect(problemsOf(template({ topicStatements: [TLS_ONLY] }))).toEqual([
      expect.stringMatching(
        /cloudwatch\.amazonaws\.com may not sns:Publish to Topic \(allowed by \[\], denied by \[\]\)/,
      ),
    ]);
  });

  it('passes an Allow scoped to the account alarms beside the TLS-only Deny, which a TLS publish does not meet', () => {
    expect(problemsOf(template({ topicStatements: [TLS_ONLY, CLOUDWATCH_PUBLISH] }))).toEqual([]);
  });

  it('fails an Allow scoped to another account', () => {
    const elsewhere = {
      ...CLOUDWATCH_PUBLISH,
      Condition: { StringEquals: { 'aws:SourceAccount': '999999999999' } },
    };
    expect(problemsOf(template({ topicStatements: [elsewhere] }))).toHaveLength(1);
  });

  it('fails when an unconditional Deny also matches', () => {
    const { Condition: _, ...denyAll } = TLS_ONLY;
    expect(problemsOf(template({ topicStatements: [CLOUDWATCH_PUBLISH, denyAll] }))).toEqual([
      expect.stringMatching(/denied by \[TlsOnly\]/),
    ]);
  });

  it('fails a key policy that does not let CloudWatch generate and decrypt data keys', () => {
    const problems = problemsOf(template({ topicStatements: [CLOUDWATCH_PUBLISH], keyStatements: [] }));
    expect(problems).toEqual([
      expect.stringMatching(/may not kms:GenerateDataKey with Key/),
      expect.stringMatching(/may not kms:Decrypt with Key/),
    ]);
    expect(
      problemsOf(template({ topicStatements: [CLOUDWATCH_PUBLISH], keyStatements: [CLOUDWATCH_KEY] })),
    ).toEqual([]);
  });

  it('fails a topic encrypted with the AWS managed key', () => {
    const render = template({ topicStatements: [CLOUDWATCH_PUBLISH] });
    const topic = render.resource('Topic');
    if (topic?.Properties !== undefined) topic.Properties.KmsMasterKeyId = 'alias/aws/sns';
    expect(problemsOf(render)).toEqual([expect.stringMatching(/AWS managed key/)]);
  });

  it('checks EventBridge rules that target a topic, whose key requests carry no source ARN', () => {
    const eventsPublish = {
      ...CLOUDWATCH_PUBLISH,
      Principal: { Service: 'events.amazonaws.com' },
      Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:events:eu-west-1:123456789012:rule/*' } },
    };
    const eventsKey = { ...CLOUDWATCH_KEY, Principal: { Service: 'events.amazonaws.com' } };
    const render = template({
      publisher: 'rule',
      topicStatements: [eventsPublish],
      keyStatements: [eventsKey],
    });
    expect(problemsOf(render)).toEqual([
      expect.stringMatching(/events\.amazonaws\.com may not kms:GenerateDataKey/),
      expect.stringMatching(/events\.amazonaws\.com may not kms:Decrypt/),
    ]);
    const { Condition: _, ...unconditioned } = eventsKey;
    expect(
      problemsOf(
        template({ publisher: 'rule', topicStatements: [eventsPublish], keyStatements: [unconditioned] }),
      ),
    ).toEqual([]);
  });

  it('refuses to judge a policy it does not model rather than pass it', () => {
    const setOperator = {
      ...CLOUDWATCH_PUBLISH,
      Condition: { 'ForAnyValue:StringLike': { 'aws:SourceArn': '*' } },
    };
    expect(() => problemsOf(template({ topicStatements: [setOperator] }))).toThrow(/not modelled/);
  });
});
