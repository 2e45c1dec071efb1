// The construct dropped into a user's own stack beside a load balancer created in the same app:
// every scope must follow the created load balancer's tokens, not the config's placeholder ARN.
// Also exercises the options: a created trail, verify-after-deploy, target groups, CreateRule.
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { createdLbStack } from './stacks.ts';
import {
  asList,
  isElbWriteAction,
  policyStatements,
  runCfnLint,
  type Synthesized,
  synthesize,
  testConfig,
} from './support.ts';

let synth: Synthesized;

beforeAll(() => {
  synth = synthesize(createdLbStack(testConfig({ allowCreateRule: true, mode: 'auto' })));
}, 120_000);

describe('LbGuard beside a load balancer created in the same app', () => {
  it('passes cdk-nag AwsSolutionsChecks with no unacknowledged finding', () => {
    expect(synth.report.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
  });

  it('hands the functions the created load balancer ARN, not the config placeholder', () => {
    const probe = Object.values(synth.json.Resources).find(
      (r) =>
        r.Type === 'AWS::Lambda::Function' &&
        JSON.stringify(r.Properties?.Environment).includes('"POWERTOOLS_SERVICE_NAME":"lbguard-probe"'),
    );
    const environment = probe?.Properties?.Environment as { Variables: Record<string, unknown> } | undefined;
    const config = JSON.stringify(environment?.Variables.LBGUARD_CONFIG);
    expect(config).toMatch(/\{\\?"Ref\\?":\\?"Alb[0-9A-F]{8}\\?"\}/);
    expect(config).not.toContain('loadbalancer/app/shop/50dc6c495c0c9188');
  });

  it('derives the write scopes from the created load balancer ARN in CloudFormation', () => {
    const writes = policyStatements(synth.json).filter(({ statement }) =>
      asList(statement.Action).some(isElbWriteAction),
    );
    const modifyListener = writes.find(({ statement }) =>
      asList(statement.Action).includes('elasticloadbalancing:ModifyListener'),
    );
    const text = JSON.stringify(modifyListener?.statement.Resource);
    expect(text).toContain(':listener/');
    expect(text).toContain('"Fn::Split":["loadbalancer/"');
    expect(text).toContain('"Ref":"Alb');
    for (const { statement } of writes) {
      expect(asList(statement.Resource)).not.toContain('*');
    }
  });

  it('registers targets only in the named target groups', () => {
    const register = policyStatements(synth.json).find(({ statement }) =>
      asList(statement.Action).includes('elasticloadbalancing:RegisterTargets'),
    );
    expect(asList(register?.statement.Resource)).toEqual([
      { Ref: expect.stringMatching(/^Blue/) },
      { Ref: expect.stringMatching(/^Green/) },
    ]);
  });

  it('grants CreateRule on the guarded listeners and rules when the policy allows it', () => {
    const create = policyStatements(synth.json).find(({ statement }) =>
      asList(statement.Action).includes('elasticloadbalancing:CreateRule'),
    );
    const text = JSON.stringify(create?.statement.Resource);
    expect(text).toContain(':listener/');
    expect(text).toContain(':listener-rule/');
  });

  it('alarms on unhealthy hosts across the named target groups', () => {
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'FILL(u0, 0) + FILL(u1, 0)' }),
        Match.objectLike({
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'UnHealthyHostCount' }) }),
        }),
      ]),
      AlarmActions: [{ Ref: Match.stringLikeRegexp('Topic') }],
    });
  });

  it('creates a single-region, write-only trail into an encrypted, TLS-only bucket', () => {
    synth.template.hasResourceProperties('AWS::CloudTrail::Trail', {
      IsMultiRegionTrail: false,
      IncludeGlobalServiceEvents: false,
      EventSelectors: [{ IncludeManagementEvents: true, ReadWriteType: 'WriteOnly' }],
      EnableLogFileValidation: true,
    });
    synth.template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: Match.anyValue(),
      PublicAccessBlockConfiguration: Match.objectLike({
        BlockPublicAcls: true,
        RestrictPublicBuckets: true,
      }),
    });
  });

  it('asks inspect to verify after the deployment and waits for its answer', () => {
    synth.template.hasResourceProperties('Custom::Trigger', {
      InvocationType: 'RequestResponse',
      HandlerArn: { Ref: Match.stringLikeRegexp('GuardVerifyRelayCurrentVersion') },
    });
    synth.template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Code: { ZipFile: Match.stringLikeRegexp("kind: 'verify'") },
      Environment: {
        Variables: { LBGUARD_INSPECT_FUNCTION: { Ref: Match.stringLikeRegexp('GuardInspect') } },
      },
    });
    const relayInvoke = policyStatements(synth.json).filter(
      ({ policy, statement }) =>
        policy.includes('VerifyRelay') && asList(statement.Action).includes('lambda:InvokeFunction'),
    );
    expect(relayInvoke.map(({ statement }) => statement.Resource)).toEqual([
      { 'Fn::GetAtt': [expect.stringMatching(/^GuardInspect/), 'Arn'] },
    ]);
  });

  it('gives cfn-lint nothing to call an error', { timeout: 60_000 }, () => {
    const lint = runCfnLint(synth.templatePath);
    expect(lint.errors, lint.output).toEqual([]);
  });
});
