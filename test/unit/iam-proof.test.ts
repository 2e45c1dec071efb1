import { describe, expect, it } from 'vitest';
import { queryBody } from '../../drill/world/sigv4.ts';
import type { UnusedGrant } from '../../infra/iam-unused-grants.ts';
import { ActionRecorder } from '../support/iam/action-recorder.ts';
import { type Operations, proveRole } from '../support/iam/role-proof.ts';
import { type RoleGrants, templateGrants } from '../support/iam/template-grants.ts';
import type { TemplateJson } from './infra/policy-check.ts';

// The IAM proof's pure parts: how a template's grants become the policies moto enforces, and how
// what a role used is judged against what it is granted. The run under moto is
// test/integration/iam-proof.test.ts.

function fn(name: string, role: string) {
  return {
    Type: 'AWS::Lambda::Function',
    Properties: {
      Role: { 'Fn::GetAtt': [role, 'Arn'] },
      Environment: { Variables: { POWERTOOLS_SERVICE_NAME: `lbguard-${name}` } },
    },
  };
}

function template(extra: TemplateJson['Resources'] = {}): TemplateJson {
  return {
    Resources: {
      Probe: fn('probe', 'ProbeRole'),
      Inspect: fn('inspect', 'InspectRole'),
      Remediate: fn('remediate', 'RemediateRole'),
      ProbeRole: { Type: 'AWS::IAM::Role', Properties: {} },
      InspectRole: { Type: 'AWS::IAM::Role', Properties: {} },
      RemediateRole: { Type: 'AWS::IAM::Role', Properties: {} },
      ...extra,
    },
  };
}

function policy(role: string, statements: unknown[]) {
  return {
    Type: 'AWS::IAM::Policy',
    Properties: { Roles: [{ Ref: role }], PolicyDocument: { Statement: statements } },
  };
}

describe('the moto copy of a role', () => {
  it('widens every resource to *, which is all moto authorises against, and keeps the grant as written', () => {
    const grants = templateGrants(
      template({
        InspectPolicy: policy('InspectRole', [
          { Effect: 'Allow', Action: ['dynamodb:GetItem'], Resource: { 'Fn::GetAtt': ['Table', 'Arn'] } },
        ]),
      }),
    );
    expect(grants.inspect.grants).toEqual([
      { action: 'dynamodb:GetItem', source: 'InspectPolicy', resource: 'Table' },
    ]);
    expect(grants.inspect.motoPolicies).toEqual([
      {
        name: 'InspectPolicy',
        document: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:TransactGetItems'], Resource: '*' },
          ],
        },
      },
    ]);
    expect(grants.probe.grants).toEqual([]);
  });

  it("adds moto's spellings: CloudWatch by its signing name, transactions wherever a part is granted", () => {
    const grants = templateGrants(
      template({
        InspectPolicy: policy('InspectRole', [
          { Effect: 'Allow', Action: ['cloudwatch:GetMetricData', 'dynamodb:PutItem'], Resource: '*' },
        ]),
      }),
    );
    expect(grants.inspect.motoPolicies[0]?.document.Statement[0]?.Action).toEqual([
      'cloudwatch:GetMetricData',
      'dynamodb:PutItem',
      'monitoring:GetMetricData',
      'dynamodb:TransactWriteItems',
    ]);
  });

  it('drops the condition of an Allow and leaves out a conditioned Deny, saying so', () => {
    const grants = templateGrants(
      template({
        RemediatePolicy: policy('RemediateRole', [
          {
            Sid: 'Scoped',
            Effect: 'Allow',
            Action: 'sns:Publish',
            Resource: '*',
            Condition: { Bool: { 'aws:SecureTransport': 'true' } },
          },
          {
            Effect: 'Deny',
            Action: 'sns:Publish',
            Resource: '*',
            Condition: { StringEquals: { 'aws:x': 'y' } },
          },
        ]),
      }),
    );
    expect(grants.remediate.motoPolicies[0]?.document.Statement).toEqual([
      { Sid: 'Scoped', Effect: 'Allow', Action: ['sns:Publish'], Resource: '*' },
    ]);
    expect(grants.remediate.denies).toEqual([]);
    expect(grants.remediate.notes).toEqual([
      expect.stringMatching(/^RemediatePolicy \(Scoped\): condition dropped/),
      expect.stringMatching(/^RemediatePolicy: conditioned Deny left out/),
    ]);
  });

  it('takes an Allow of a key policy that names the role, and notes other resource-policy statements naming it', () => {
    const grants = templateGrants(
      template({
        Key: {
          Type: 'AWS::KMS::Key',
          Properties: {
            KeyPolicy: {
              Statement: [
                { Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:*', Resource: '*' },
                {
                  Effect: 'Allow',
                  Principal: { AWS: { 'Fn::GetAtt': ['InspectRole', 'Arn'] } },
                  Action: 'kms:GenerateMac',
                  Resource: '*',
                },
              ],
            },
          },
        },
        TopicPolicy: {
          Type: 'AWS::SNS::TopicPolicy',
          Properties: {
            PolicyDocument: {
              Statement: [
                {
                  Effect: 'Deny',
                  Principal: '*',
                  Action: 'sns:Publish',
                  Resource: '*',
                  Condition: {
                    StringNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': ['InspectRole', 'Arn'] } },
                  },
                },
              ],
            },
          },
        },
      }),
    );
    expect(grants.inspect.grants.map((g) => g.action)).toEqual(['kms:GenerateMac']);
    expect(grants.inspect.motoPolicies[0]?.document.Statement).toEqual([
      { Effect: 'Allow', Action: ['kms:GenerateMac'], Resource: '*' },
    ]);
    expect(grants.inspect.notes).toEqual([
      expect.stringMatching(/TopicPolicy.*mentions this role; moto evaluates no resource policy/),
    ]);
    expect(grants.remediate.grants).toEqual([]);
  });

  it('refuses a managed policy it cannot read, naming the role and the way out', () => {
    const json = template();
    (json.Resources.ProbeRole as { Properties: Record<string, unknown> }).Properties.ManagedPolicyArns = [
      'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
    ];
    expect(() => templateGrants(json)).toThrow(
      /role ProbeRole has ManagedPolicyArns .*AWSLambdaBasicExecutionRole.*inline policy/,
    );
  });

  it('names the function it cannot find', () => {
    const json = template();
    delete (json.Resources as Record<string, unknown>).Remediate;
    expect(() => templateGrants(json)).toThrow(/POWERTOOLS_SERVICE_NAME lbguard-remediate/);
  });

  it("reads a role no function runs under by its logical id, a conditioned statement on its defaults' side", () => {
    const json: TemplateJson = {
      Resources: {
        Reader: {
          Type: 'AWS::IAM::Role',
          Properties: {
            Policies: [
              {
                PolicyName: 'read',
                PolicyDocument: {
                  Statement: [
                    {
                      Sid: 'Always',
                      Effect: 'Allow',
                      Action: 'elasticloadbalancing:DescribeTags',
                      Resource: '*',
                    },
                    {
                      'Fn::If': [
                        'HasOperators',
                        {
                          Sid: 'Operators',
                          Effect: 'Allow',
                          Action: 'cloudwatch:GetMetricData',
                          Resource: '*',
                        },
                        { Ref: 'AWS::NoValue' },
                      ],
                    },
                  ],
                },
              },
            ],
          },
        },
      },
    };
    const grants = templateGrants(json, ['fleet-reader'], { 'fleet-reader': 'Reader' });
    expect(grants['fleet-reader'].grants.map((g) => g.action)).toEqual(['elasticloadbalancing:DescribeTags']);
    expect(grants['fleet-reader'].motoPolicies[0]?.document.Statement).toEqual([
      { Sid: 'Always', Effect: 'Allow', Action: ['elasticloadbalancing:DescribeTags'], Resource: '*' },
    ]);
    expect(grants['fleet-reader'].notes).toEqual([
      expect.stringMatching(/condition HasOperators taken as false .*left out: "Operators"/),
    ]);
  });
});

describe('the wire recorder', () => {
  it('names a transaction by its parts, and a 403 as a refusal of the role', () => {
    const recorder = new ActionRecorder();
    recorder.suite = 'hub scenarios';
    recorder.recordWire('hub-ingest', {
      signing: 'dynamodb',
      operation: 'TransactWriteItems',
      body: JSON.stringify({ TransactItems: [{ Put: {} }, { Put: {} }] }),
      status: 200,
      answer: '{}',
    });
    recorder.recordWire('fleet-reader', {
      signing: 'elasticloadbalancing',
      operation: 'DescribeListeners',
      body: 'Action=DescribeListeners',
      status: 403,
      answer:
        '<ErrorResponse><Error><Code>AccessDenied</Code><Message>not allowed</Message></Error></ErrorResponse>',
    });
    expect([...(recorder.used.get('hub-ingest')?.keys() ?? [])]).toEqual(['dynamodb:PutItem']);
    expect(recorder.used.has('fleet-reader')).toBe(false);
    expect(recorder.refusalLines((fn) => `lbguard-${fn}`)).toEqual([
      'role lbguard-fleet-reader (fleet-reader) was refused elasticloadbalancing:DescribeListeners: AccessDenied not allowed',
    ]);
  });
});

const KMS: Operations = (prefix) =>
  prefix === 'kms' ? ['Decrypt', 'GenerateDataKey', 'GenerateDataKeyPair', 'GenerateMac'] : undefined;

function role(actions: readonly string[], denies: readonly string[] = []): RoleGrants {
  const grant = (action: string) => ({ action, source: 'Policy', resource: '*' });
  return {
    fn: 'inspect',
    roleId: 'InspectRole',
    grants: actions.map(grant),
    denies: denies.map(grant),
    motoPolicies: [],
    notes: [],
  };
}

function used(...actions: string[]): Map<string, Set<string>> {
  return new Map(actions.map((a) => [a, new Set(['scenarios'])]));
}

const reason: UnusedGrant = { kind: 'aws-service', reason: 'SNS uses it' };

describe('used against granted', () => {
  it('finds a used action no Allow grants, or a Deny refuses', () => {
    const proof = proveRole(
      role(['sns:Publish', 'dynamodb:*'], ['dynamodb:Scan']),
      used('sns:Publish', 'kms:Sign', 'dynamodb:Scan'),
      {},
      KMS,
    );
    expect(proof.usedNotGranted).toEqual(['dynamodb:Scan', 'kms:Sign']);
  });

  it('wants a reason for a grant nobody used, and for a wildcard only partly used', () => {
    const proof = proveRole(
      role(['sns:Publish', 'kms:GenerateDataKey*', 'kms:Decrypt']),
      used('kms:GenerateDataKey'),
      {},
      KMS,
    );
    expect(proof.unexplained).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*', 'sns:Publish']);
    expect(proof.rows.find((r) => r.action === 'kms:GenerateDataKey*')).toMatchObject({
      expansion: ['kms:GenerateDataKey', 'kms:GenerateDataKeyPair'],
      usedAs: [{ action: 'kms:GenerateDataKey', suites: ['scenarios'] }],
      fullyUsed: false,
    });
  });

  it('accepts a wildcard whose every operation was used, and wants a reason for one it cannot expand', () => {
    const proof = proveRole(
      role(['kms:GenerateDataKey*', 'logs:*']),
      used('kms:GenerateDataKey', 'kms:GenerateDataKeyPair', 'logs:PutLogEvents'),
      {},
      KMS,
    );
    expect(proof.unexplained).toEqual(['logs:*']);
  });

  it('accepts an unused grant listed with its reason, and calls stale an entry no longer granted or now used', () => {
    const proof = proveRole(
      role(['kms:Decrypt', 'sns:Publish']),
      used('sns:Publish'),
      {
        'kms:Decrypt': reason,
        'sns:Publish': reason,
        'cloudtrail:LookupEvents': reason,
      },
      KMS,
    );
    expect(proof.unexplained).toEqual([]);
    expect(proof.stale).toEqual([
      'cloudtrail:LookupEvents: listed as an unused grant but no longer granted',
      'sns:Publish: listed as an unused grant but now used by scenarios',
    ]);
  });
});

describe('Query request bodies', () => {
  it('are encoded as the SDKs encode them, which moto re-encodes to check the signature', () => {
    expect(queryBody({ Action: 'PutRolePolicy', PolicyDocument: '{"Action":"*","Sid":"a b~(!)\'"}' })).toBe(
      'Action=PutRolePolicy&PolicyDocument=%7B%22Action%22%3A%22%2A%22%2C%22Sid%22%3A%22a%20b~%28%21%29%27%22%7D',
    );
  });
});
