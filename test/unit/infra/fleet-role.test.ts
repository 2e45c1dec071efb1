// The fleet reader role stack (infra/hub/fleet-role-stack.ts): a StackSet template with no assets
// and no bootstrap check, trusted by the hub's coverage role (and operators when named), allowed
// to read load balancers and their tags, and with operators what `status --fleet` reads: no write.
import { beforeAll, describe, expect, it } from 'vitest';
import { FLEET_DISCOVERY_ACTIONS, FLEET_STATUS_ELB_ACTIONS } from '../../../infra/index.ts';
import { fleetRoleStack } from './hub-stacks.ts';
import { SYNTH_TIMEOUT } from './stacks.ts';
import { asList, runCfnLint, type Synthesized, synthesize } from './support.ts';

type Json = Record<string, unknown>;

/** A statement, and the condition it sits under (`Fn::If`), if any. */
function unwrap(statement: Json): { condition?: string; statement: Json } {
  const choice = statement['Fn::If'] as [string, Json, Json] | undefined;
  if (choice === undefined) return { statement };
  expect(choice[2]).toEqual({ Ref: 'AWS::NoValue' });
  return { condition: choice[0], statement: choice[1] };
}

describe('the fleet reader role stack', () => {
  let synth: Synthesized;
  let template: Json & { Resources: Record<string, { Type: string; Properties: Json }> };
  let role: Json;

  beforeAll(() => {
    synth = synthesize(fleetRoleStack);
    template = synth.json as typeof template;
    const roles = Object.values(template.Resources).filter((r) => r.Type === 'AWS::IAM::Role');
    expect(roles).toHaveLength(1);
    role = roles[0]?.Properties ?? {};
  }, SYNTH_TIMEOUT);

  it('passes cdk-nag and cfn-lint with nothing to report', { timeout: 60_000 }, () => {
    expect(synth.report.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
    const lint = runCfnLint(synth.templatePath);
    expect(lint.errors, lint.output).toEqual([]);
    expect(lint.warnings, lint.output).toEqual([]);
  });

  it('deploys as it is to accounts nobody bootstrapped: no asset, no bootstrap version check', () => {
    expect(Object.keys(template.Parameters as Json).sort()).toEqual([
      'HubAccountId',
      'HubRoleName',
      'OperatorPrincipalArns',
      'StateTableName',
    ]);
    expect(template.Rules).toBeUndefined();
    expect(Object.values(template.Resources).map((r) => r.Type)).toEqual(['AWS::IAM::Role']);
    expect(role.RoleName).toBe('lbguard-fleet-reader');
  });

  it("is assumable by the hub account's coverage role alone, and by operators only when named", () => {
    const trust = (role.AssumeRolePolicyDocument as { Statement: Json[] }).Statement.map(unwrap);
    expect(trust).toEqual([
      {
        statement: {
          Sid: 'HubCoverage',
          Effect: 'Allow',
          Principal: {
            AWS: {
              'Fn::Join': [
                '',
                ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'HubAccountId' }, ':root'],
              ],
            },
          },
          Action: 'sts:AssumeRole',
          Condition: {
            ArnEquals: {
              'aws:PrincipalArn': {
                'Fn::Join': [
                  '',
                  [
                    'arn:',
                    { Ref: 'AWS::Partition' },
                    ':iam::',
                    { Ref: 'HubAccountId' },
                    ':role/',
                    { Ref: 'HubRoleName' },
                  ],
                ],
              },
            },
          },
        },
      },
      {
        condition: 'HasOperators',
        statement: {
          Sid: 'Operators',
          Effect: 'Allow',
          Principal: { AWS: { Ref: 'OperatorPrincipalArns' } },
          Action: 'sts:AssumeRole',
        },
      },
    ]);
    expect((template.Parameters as Record<string, Json>).HubRoleName?.Default).toBe('lbguard-hub-coverage');
  });

  it('lets everyone it trusts list load balancers and tags, and only operators read what status --fleet reads; nothing writes', () => {
    const policies = role.Policies as { PolicyDocument: { Statement: Json[] } }[];
    const statements = policies.flatMap((p) => p.PolicyDocument.Statement).map(unwrap);
    for (const { statement } of statements) expect(statement.Effect).toBe('Allow');
    const actions = (condition: string | undefined) =>
      statements
        .filter((s) => s.condition === condition)
        .flatMap((s) => asList(s.statement.Action as string | string[]))
        .sort();
    expect(actions(undefined)).toEqual([...FLEET_DISCOVERY_ACTIONS].sort());
    expect(actions('HasOperators')).toEqual(
      [
        ...FLEET_STATUS_ELB_ACTIONS,
        'dynamodb:DescribeTable',
        'dynamodb:GetItem',
        'dynamodb:Query',
        'kms:VerifyMac',
      ].sort(),
    );
    const every = [...actions(undefined), ...actions('HasOperators')];
    expect(every.filter((a) => !/:(Describe|Get|Query|VerifyMac)/.test(a))).toEqual([]);
    const macs = statements.find((s) => s.statement.Action === 'kms:VerifyMac')?.statement;
    expect(macs?.Condition).toEqual({
      StringEquals: {
        'kms:RequestAlias': { 'Fn::Join': ['', ['alias/lbguard/', { Ref: 'StateTableName' }]] },
      },
    });
  });
});
